#include "runtime-sim/world.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/roles/builtin.h"
#include "runtime-sim/expect_check.h"
#include "runtime-sim/sim_world.h"

namespace sg4 = simgrid::s4u;

namespace cairn::sim {
namespace {

std::vector<std::string> engine_args() {
  std::vector<std::string> args{"cairn-sim", "--log=root.thres:critical",
                                "--cfg=network/model:CM02", "--cfg=network/crosstraffic:0"};
#if defined(CAIRN_SANITIZE)
  // Raw contexts switch stacks behind AddressSanitizer's back.
  args.push_back("--cfg=contexts/factory:thread");
#endif
  return args;
}

}  // namespace

bool RunResult::all_pass() const {
  for (const auto& [name, c] : checks) {
    if (!c.pass) return false;
  }
  return true;
}

Time World::now() {
  return Time(Duration(static_cast<int64_t>(std::llround(sg4::Engine::get_clock() * 1e9))));
}

World::World(const Scenario& scenario, const RunOptions& options)
    : scenario_(scenario),
      options_(options),
      network_(scenario.network),
      truth_(scenario.node_ids()) {
  roles_ = options_.roles != nullptr ? options_.roles : &(builtin_ = builtin_roles());
  if (!scenario_.kv_server_ids().empty()) {
    raft_ = std::make_unique<RaftRun>(
        scenario_, [this](NodeId node, const Event& e) { record(now(), node, e); });
    raft_->add_hooks(hooks_);
  }
  if (!scenario_.nodes_with("storage").empty()) {
    const size_t raft_endpoints = raft_ != nullptr ? raft_->client_specs().size() : 0;
    storage_ = std::make_unique<StorageRun>(
        scenario_, static_cast<NodeId>(scenario_.nodes.size() + raft_endpoints + 1));
    storage_->add_hooks(hooks_);
    if (scenario_.files().clients > 0) {
      files_ = std::make_unique<FileRun>(
          scenario_, static_cast<NodeId>(scenario_.nodes.size() + raft_endpoints +
                                         storage_->client_specs().size() + 1));
      files_->add_hooks(hooks_);
    }
  }
  // The probe also feeds metrics.csv (stripes by spare shards) of any run with a namespace.
  if (scenario_.checks.contains("redundancy") ||
      (!options_.out_dir.empty() && !scenario_.nodes_with("meta").empty() &&
       !scenario_.nodes_with("storage").empty())) {
    // `from: last_fault`: degradation before the last fault does not start the clock.
    Time from{};
    if (scenario_.checks.contains("redundancy") &&
        scenario_.checks.at("redundancy").from_last_fault) {
      for (const Fault& f : scenario_.faults) from = std::max(from, Time(f.at));
    }
    redundancy_ = std::make_unique<RedundancyProbe>(from);
  }
  if (scenario_.checks.contains("drained")) {
    std::vector<NodeId> drained;
    for (const Fault& f : scenario_.faults) {
      if (f.kind == FaultKind::kDrain)
        drained.insert(drained.end(), f.nodes.begin(), f.nodes.end());
    }
    drains_ = std::make_unique<DrainProbe>(std::move(drained));
  }
  if (scenario_.placement.enabled) {
    placement_ = std::make_unique<PlacementRun>(
        scenario_, [this](const Event& e) { record(now(), kNoNode, e); });
  }
  membership_.add_hooks(hooks_);
  if (options_.add_hooks) options_.add_hooks(hooks_);
  if (scenario_.transport.model) {
    // Its own stream (nodes use id and 1 << 32 | id), so that switching the model on
    // perturbs no other random choice.
    connections_ =
        std::make_unique<ConnectionModel>(scenario_.transport, scenario_.link.latency,
                                          Rng::derive(scenario_.seed, uint64_t{2} << 32));
  }
  std::vector<std::string> args = engine_args();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  engine_ = std::make_unique<sg4::Engine>(&argc, argv.data());
  std::string trace_path;
  if (!options_.out_dir.empty()) {
    std::filesystem::create_directories(options_.out_dir);
    trace_path = options_.out_dir + "/events.jsonl";
    metrics_csv_ = std::fopen((options_.out_dir + "/metrics.csv").c_str(), "w");
    if (metrics_csv_ != nullptr) std::fputs("time_s,node,metric,value\n", metrics_csv_);
  }
  trace_ = std::make_unique<Trace>(trace_path);
  build_platform();
}

World::~World() {
  for (Envelope* e : in_flight_) delete e;
  if (metrics_csv_ != nullptr) std::fclose(metrics_csv_);
}

void World::build_platform() {
  // A star: every node hangs off the core by its own full-duplex link, whose latency is
  // half the scenario's, so that node-to-node latency is the scenario's.
  auto* zone = sg4::create_star_zone("cairn");
  const double half_latency = to_seconds(scenario_.link.latency) / 2;
  for (const NodeSpec& spec : scenario_.nodes) add_endpoint(zone, spec, half_latency);
  if (raft_ != nullptr) {
    for (const NodeSpec& spec : raft_->client_specs()) add_endpoint(zone, spec, half_latency);
  }
  if (storage_ != nullptr) {
    for (const NodeSpec& spec : storage_->client_specs()) add_endpoint(zone, spec, half_latency);
  }
  if (files_ != nullptr) {
    for (const NodeSpec& spec : files_->client_specs()) add_endpoint(zone, spec, half_latency);
  }
  controller_host_ = zone->create_host("controller", 1e9)->seal();
  zone->seal();
  flows_ = std::make_unique<WorkerPool>(controller_host_, "flow");
}

void World::transmit(Envelope* e) {
  track(e);
  const uint64_t size = e->message.wire_size();
  const LinkSpec& link = scenario_.link;
  if (size >= link.flow_threshold_bytes) {
    sg4::Host* from = nodes_[e->from - 1]->host();
    sg4::Host* to = nodes_[e->to - 1]->host();
    flows_->run([this, e, from, to, size] {
      sg4::Comm::sendto(from, to, size);
      arrive_at(now() + e->hold, e);
    });
    return;
  }
  const double transfer_ns = static_cast<double>(size) * 1e9 / link.bandwidth_bytes_per_s;
  arrive_at(now() + link.latency + Duration(std::llround(transfer_ns)) + e->hold, e);
}

void World::arrive_at(Time at, Envelope* e) {
  // now() is the engine's clock rounded to a nanosecond, which may be just behind it.
  const double date = std::max(to_seconds(at), sg4::Engine::get_clock());
  e->timer = simgrid::kernel::timer::Timer::set(date, [this, e] {
    e->timer = nullptr;
    nodes_[e->to - 1]->arrive(e);
    if (++arrivals_since_progress_check_ == 4096) maybe_report_progress();
  });
}

void World::maybe_report_progress(bool force) {
  arrivals_since_progress_check_ = 0;
  if (!options_.on_progress) return;
  const auto wall = std::chrono::steady_clock::now();
  if (!force &&
      wall - last_progress_ < std::chrono::duration<double>(options_.progress_interval_s)) {
    return;
  }
  last_progress_ = wall;
  options_.on_progress(to_seconds(now()), to_seconds(scenario_.duration),
                       std::chrono::duration<double>(wall - wall_start_).count());
}

void World::drop_in_flight() {
  flows_->kill_all();
  for (Envelope* e : in_flight_) {
    if (e->timer == nullptr) continue;
    e->timer->remove();
    e->timer = nullptr;
  }
}

void World::add_endpoint(sg4::NetZone* zone, const NodeSpec& spec, double half_latency) {
  sg4::Host* host = zone->create_host(spec.name, scenario_.cpu_flops);
  host->set_property("zone", spec.zone);
  sg4::Disk* disk = host->create_disk(spec.name + "-disk", scenario_.disk.read_bytes_per_s,
                                      scenario_.disk.write_bytes_per_s);
  disk->seal();
  host->seal();
  const sg4::Link* link =
      zone->create_split_duplex_link(spec.name + "-link", scenario_.link.bandwidth_bytes_per_s)
          ->set_latency(half_latency)
          ->seal();
  zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                  {{link, sg4::LinkInRoute::Direction::UP}}, true);
  nodes_.push_back(std::make_unique<SimNode>(*this, spec, host, disk, scenario_.seed));
}

absl::Status World::install_roles(Node& node, Runtime& rt, const NodeSpec& spec) {
  const RoleSettings settings = raft_ != nullptr ? raft_->settings_for(spec) : scenario_.roles;
  RoleContext ctx{rt, scenario_.node_ids(),
                  [this](std::string_view role) { return scenario_.nodes_with(role); }, hooks_,
                  [this](NodeId id) { return nodes_[id - 1]->spec().zone; }};
  for (const RoleInfo& role : roles_->roles()) {
    if (std::find(spec.roles.begin(), spec.roles.end(), role.name) == spec.roles.end()) continue;
    if (absl::Status st = install_role(role, node, ctx, settings); !st.ok()) return st;
  }
  // Repair registers its counters at its first repair: name them on every meta node of a
  // run with storage, so that a lesson can `expect` that no repair ran (a total of 0), or
  // that the audit never found a shard missing (storage-gc: no referenced shard deleted).
  if (std::find(spec.roles.begin(), spec.roles.end(), "meta") != spec.roles.end() &&
      !scenario_.nodes_with("storage").empty()) {
    rt.metrics().counter("repair_shards_done");
    rt.metrics().counter("repair_bytes_done");
    rt.metrics().counter("repair_audit_missing");
  }
  return absl::OkStatus();
}

void World::record(Time at, NodeId node, const Event& event) {
  const std::string_view name =
      node == kNoNode ? std::string_view("sim") : std::string_view(nodes_[node - 1]->spec().name);
  trace_->record(at, name, event);
  if (options_.verbose) std::fprintf(stderr, "%s\n", describe_event(at, name, event).c_str());
  if (options_.on_event && options_.on_event(at, name, event)) stop_requested_ = true;
}

void World::schedule(Time at, Action action) {
  actions_.emplace(std::make_pair(at, action_seq_++), std::move(action));
}

void World::after_step(NodeId id) {
  if (raft_ == nullptr || id > scenario_.nodes.size()) return;
  SimNode& n = *nodes_[id - 1];
  auto* s = n.node() != nullptr ? n.node()->find<raft::RaftService>() : nullptr;
  if (s == nullptr) return;
  // A lesson's planted bug (`unsafe:`), again after every restart; kNone plants nothing.
  if (scenario_.raft_bug != raft::testing::Bug::kNone) {
    raft::testing::Faults::plant(*s, scenario_.raft_bug);
  }
  if (s->raft() != nullptr) raft_->after_step(id, *s->raft());
}

void World::write_file(const std::string& name, const std::string& bytes) {
  if (options_.out_dir.empty()) return;
  const std::string path = options_.out_dir + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    std::fprintf(stderr, "cairn-sim: cannot write %s\n", path.c_str());
  }
  if (f != nullptr) std::fclose(f);
}

void World::sample_metrics() {
  std::vector<SimNode*> nodes;
  for (auto& n : nodes_) nodes.push_back(n.get());
  if (redundancy_ != nullptr) redundancy_->sample(now(), nodes);
  if (drains_ != nullptr) drains_->sample(nodes);
  if (scenario_.checks.contains("expect")) {
    std::map<std::string, double> totals;
    for (auto& n : nodes_)
      n->metrics().for_each([&](const std::string& name, double v) { totals[name] += v; });
    counter_totals_.add(now(), totals);
  }
  if (metrics_csv_ != nullptr) {
    // A row only for a value that changed since the node's previous row (the first sample
    // has them all): readers carry each value forward. Big clusters would otherwise write
    // gigabytes of unchanged gauges.
    const std::string t = format_time(now());
    last_sample_.resize(nodes_.size());
    static const std::string kUp = "up";
    for (size_t i = 0; i < nodes_.size(); ++i) {
      SimNode& n = *nodes_[i];
      // Metrics come in a fixed order, so the previous values are matched by position;
      // a metric registered since then is inserted where it appears.
      std::vector<LastValue>& last = last_sample_[i];
      size_t k = 0;
      auto visit = [&](const std::string& name, double value) {
        if (k < last.size() && last[k].name == name) {
          if (last[k].value == value) {
            ++k;
            return;
          }
          last[k].value = value;
        } else {
          last.insert(last.begin() + static_cast<ptrdiff_t>(k), LastValue{name, value});
        }
        ++k;
        std::fprintf(metrics_csv_, "%s,%s,%s,%s\n", t.c_str(), n.spec().name.c_str(), name.c_str(),
                     json_number(value).c_str());
      };
      visit(kUp, n.up() ? 1 : 0);
      n.metrics().for_each(visit);
      last.resize(k);  // drop metrics that are gone
    }
    if (redundancy_ != nullptr) write_redundancy(t);
  }
  schedule(now() + scenario_.metrics_interval, [this] { sample_metrics(); });
}

// The redundancy probe's last sample as rows of the pseudo-node `sim`: stripes by spare
// shards (`redundancy_stripes_spare_N`, `redundancy_stripes_unreadable`) and the shards
// degraded. Written whole at every interval: a handful of rows.
void World::write_redundancy(const std::string& t) {
  auto row = [&](const std::string& name, uint64_t v) {
    std::fprintf(metrics_csv_, "%s,sim,%s,%llu\n", t.c_str(), name.c_str(),
                 static_cast<unsigned long long>(v));
  };
  for (const auto& [spare, count] : redundancy_->spares()) {
    row(spare < 0 ? std::string("redundancy_stripes_unreadable")
                  : absl::StrCat("redundancy_stripes_spare_", spare),
        count);
  }
  if (!redundancy_->spares().empty()) row("redundancy_degraded_shards", redundancy_->degraded());
}

// Wakes the controller regularly so that a stop asked for by the on_event hook (recorded
// from a node's actor) ends the run soon after.
void World::poll_stop() {
  if (!stop_requested_) schedule(now() + kStopPollInterval, [this] { poll_stop(); });
}

void World::controller() {
  fault_outcomes_.assign(scenario_.faults.size(), FaultOutcome{});
  for (size_t i = 0; i < scenario_.faults.size(); ++i) {
    schedule(Time(scenario_.faults[i].at), [this, i] { apply(i); });
  }
  schedule(Time(Duration(0)), [this] { sample_metrics(); });
  if (options_.on_event) schedule(Time(Duration(0)), [this] { poll_stop(); });
  const Time end(scenario_.duration);
  while (!stop_requested_ && !actions_.empty() && actions_.begin()->first.first < end) {
    auto it = actions_.begin();
    const Time at = it->first.first;
    Action action = std::move(it->second);
    actions_.erase(it);
    if (at > now()) sg4::this_actor::sleep_until(to_seconds(at));
    action();
    maybe_report_progress();
  }
  if (!stop_requested_ && end > now()) sg4::this_actor::sleep_until(to_seconds(end));
  finish();
}

void World::finish() {
  if (metrics_csv_ != nullptr || scenario_.checks.contains("expect")) {
    actions_.clear();
    sample_metrics();
    actions_.clear();
  }
  for (auto& n : nodes_) {
    if (n->up()) n->crash(CrashDamage{});  // end of run: stop every actor
  }
  drop_in_flight();  // so that the run ends now
}

RunResult World::run() {
  wall_start_ = last_progress_ = std::chrono::steady_clock::now();
  record(now(), kNoNode,
         Event{"run_start",
               {{"scenario", scenario_.name},
                {"seed", static_cast<int64_t>(scenario_.seed)},
                {"nodes", static_cast<int64_t>(scenario_.nodes.size())}}});
  if (placement_ != nullptr) placement_->start(Duration(0));
  for (auto& n : nodes_) n->boot();
  sg4::Actor::create("controller", controller_host_, [this] { controller(); });
  engine_->run();
  const Time end = now();
  undisturb_all();
  record(end, kNoNode, Event{"run_end", {}});
  maybe_report_progress(/*force=*/true);

  RunResult r;
  r.scenario = scenario_.name;
  r.seed = scenario_.seed;
  r.sim_time_s = to_seconds(end);
  r.events = trace_->events();
  if (raft_ != nullptr && scenario_.workload().clients > 0) {
    // The client history is part of what a seed must reproduce: it is hashed too.
    const std::string history = raft_->history();
    trace_->hash_also(history);
    write_file("history.jsonl", history);
  }
  r.trace_hash = trace_->finish();
  r.checks = judge(end);
  r.fault_plan = describe_faults(scenario_, &fault_outcomes_);
  r.metrics["messages_sent"] = static_cast<double>(stats_.sent);
  r.metrics["messages_delivered"] = static_cast<double>(stats_.delivered);
  r.metrics["messages_lost"] = static_cast<double>(stats_.lost);
  r.metrics["messages_blocked"] = static_cast<double>(stats_.blocked);
  r.metrics["messages_duplicated"] = static_cast<double>(stats_.duplicated);
  r.metrics["messages_stale"] = static_cast<double>(stats_.stale);
  r.metrics["bytes_sent"] = static_cast<double>(stats_.bytes);
  if (connections_ != nullptr) {
    const ConnectionModel::Stats& c = connections_->stats();
    r.metrics["messages_unreachable"] = static_cast<double>(stats_.unreachable);
    r.metrics["transport_connects"] = static_cast<double>(c.connects);
    r.metrics["transport_connect_failures"] = static_cast<double>(c.connect_failures);
    r.metrics["transport_held"] = static_cast<double>(c.held);
    r.metrics["transport_backoffs_ended_by_hello"] = static_cast<double>(c.backoffs_ended_by_hello);
  }
  for (auto& n : nodes_) {
    for (const auto& [name, value] : n->metrics().snapshot()) {
      if (name.find("sent") != std::string::npos || name.find("raised") != std::string::npos ||
          name.find("declared") != std::string::npos ||
          name.find("refutations") != std::string::npos) {
        r.metrics[name] += value;
      }
    }
  }
  if (raft_ != nullptr) {
    raft_->add_metrics(r.metrics);
    if (scenario_.workload().clients > 0) r.report += raft_->commit_rate_report();
  }
  if (storage_ != nullptr) storage_->add_metrics(r.metrics);
  if (placement_ != nullptr) {
    placement_->add_metrics(r.metrics);
    r.report += placement_->report();
  }
  if (files_ != nullptr) {
    files_->add_metrics(r.metrics);
    r.report = files_->latency_report();
  }
  r.wall_time_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  return r;
}

std::map<std::string, CheckResult> World::judge(Time end) const {
  check::DetectionChecker checker(truth_, membership_.observations(), end);
  std::map<std::string, CheckResult> out;
  for (const auto& [name, spec] : scenario_.checks) {
    check::Verdict v;
    if (name == "detection_time") v = checker.detection_time(*spec.max_duration);
    if (name == "recovery_time") v = checker.recovery_time(*spec.max_duration);
    if (name == "heal_time") v = checker.heal_time(*spec.max_duration);
    if (name == "false_suspicions") v = checker.false_suspicions(*spec.max_count, spec.window);
    if (name == "false_deaths") v = checker.false_deaths(*spec.max_count, spec.window);
    if (name == "converged") v = checker.converged(std::chrono::seconds(20));
    if (name == "raft_safety" || name == "linearizable" || name == "progress") {
      out[name] = raft_->judge(name, spec);
      continue;
    }
    if (name == "expect") {
      out[name] = judge_expect(
          spec, end.time_since_epoch(), counter_totals_,
          raft_ == nullptr
              ? std::function<int64_t(Duration, Duration)>()
              : [this](Duration a, Duration b) { return raft_->writes_answered(a, b); },
          placement_ == nullptr ? RunFigure()
                                : [this](const std::string& figure, Duration a,
                                         Duration b) { return placement_->figure(figure, a, b); });
      continue;
    }
    if (name == "durability") {
      out[name] = judge_durability();
      continue;
    }
    if (name == "redundancy") {
      out[name] = redundancy_->judge(*spec.max_duration);
      continue;
    }
    if (name == "drained") {
      out[name] = drains_->judge();
      continue;
    }
    if (name == "namespace_linearizable") {
      out[name] = files_->judge_linearizable(spec);
      continue;
    }
    out[name] = CheckResult{v.pass, v.judged, v.detail, v.figures};
  }
  return out;
}

// Chunks and files, whichever the scenario has clients for; both must pass when both run.
CheckResult World::judge_durability() const {
  const bool chunks = scenario_.chunks().clients > 0;
  if (files_ == nullptr) return storage_->judge_durability();
  if (!chunks) return files_->judge_durability();
  CheckResult c = storage_->judge_durability(), f = files_->judge_durability();
  CheckResult r;
  r.pass = c.pass && f.pass;
  r.judged = c.judged && f.judged;
  r.detail = absl::StrCat("chunks: ", c.detail, "; files: ", f.detail);
  for (const auto& [k, v] : c.figures) r.figures["chunks_" + k] = v;
  for (const auto& [k, v] : f.figures) r.figures["files_" + k] = v;
  return r;
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  World world(scenario, options);
  return world.run();
}

}  // namespace cairn::sim
