// Disk faults in cairn-sim: a scenario's `disk:` entries reach the nodes' disks, each
// fault does what docs/scenarios.md says and nothing else, and the trace records them.
// Also the platform's `disk: {parallel: N}`: operations beyond N wait their turn; and every
// kind of read takes the disk's time.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/runtime/disk_util.h"
#include "runtime-sim/fork_runner.h"
#include "runtime-sim/scenario.h"

namespace cairn::sim {
namespace {

const std::vector<std::string> kFiles{"probe/a", "probe/b", "probe/c"};

std::string contents(const std::string& name) { return absl::StrCat("contents of ", name); }

// Stores three files durably, then every second reads them back and appends a byte to a
// log, reporting each outcome as a `probe` event: {op, file, code, intact}.
class DiskProbe final : public Service {
 public:
  explicit DiskProbe(Runtime& rt) : rt_(rt) {}
  std::vector<MessageType> message_types() const override { return {}; }
  void start() override { store(0); }
  void on_message(NodeId, const Message&) override {}

 private:
  void store(size_t i) {
    if (i == kFiles.size()) {
      rt_.after(std::chrono::seconds(1), [this] { probe(); });
      return;
    }
    replace_atomically(rt_.disk(), kFiles[i], Payload(contents(kFiles[i])),
                       [this, i](absl::Status st) {
                         if (!st.ok()) report("store", kFiles[i], st, false);
                         store(i + 1);
                       });
  }
  void probe() {
    for (const std::string& f : kFiles) {
      rt_.disk().read(f, [this, f](absl::StatusOr<std::string> got) {
        report("read", f, got.status(), got.ok() && *got == contents(f));
      });
    }
    rt_.disk().append("probe/log", "x",
                      [this](absl::Status st) { report("append", "probe/log", st, st.ok()); });
    rt_.after(std::chrono::seconds(1), [this] { probe(); });
  }
  void report(const std::string& op, const std::string& file, const absl::Status& st, bool intact) {
    rt_.log().event(Event{"probe",
                          {{"op", op},
                           {"file", file},
                           {"code", std::string(absl::StatusCodeToString(st.code()))},
                           {"intact", intact}}});
  }
  Runtime& rt_;
};

struct Line {
  double t = 0;
  std::string text;
};

using ServiceFactory = std::function<std::unique_ptr<Service>(Runtime&, const NodeSpec&)>;

// The run's trace, one line per event, after running `yaml` with `probe` (by default a
// DiskProbe) beside every node's roles.
std::vector<Line> run_with_probe(const std::string& yaml, ServiceFactory probe = nullptr) {
  auto s = parse_scenario_text(yaml, "disk.yaml");
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return {};
  const std::string dir =
      (std::filesystem::temp_directory_path() / absl::StrCat("cairn-diskfaults-", getpid()))
          .string();
  RunOptions options;
  options.out_dir = dir;
  options.extra_service = probe ? std::move(probe) : [](Runtime& rt, const NodeSpec&) {
    return std::unique_ptr<Service>(std::make_unique<DiskProbe>(rt));
  };
  auto r = run_scenario_in_child(*s, options);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<Line> out;
  std::ifstream in(dir + "/events.jsonl");
  for (std::string text; std::getline(in, text);) {
    out.push_back(Line{std::stod(text.substr(text.find("\"t\":") + 4)), text});
  }
  std::filesystem::remove_all(dir);
  return out;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Probe events of `node` within [from, to) seconds that contain every part of `parts`.
int count(const std::vector<Line>& lines, const std::string& node, double from, double to,
          std::initializer_list<std::string> parts) {
  int n = 0;
  for (const Line& l : lines) {
    if (l.t < from || l.t >= to || !has(l.text, "\"node\":\"" + node + "\"")) continue;
    bool all = true;
    for (const std::string& p : parts) all = all && has(l.text, p);
    n += all ? 1 : 0;
  }
  return n;
}

const char* kScenario = R"(name: disk-faults
seed: 3
duration: 20s
platform:
  nodes: [{count: 3}]
faults:
  - {at: 5500ms, disk: n2, bitrot: {files: 1}}
  - {at: 8500ms, disk: n3, read_errors: 100%, for: 3s}
  - {at: 12500ms, disk: n1, full: true}
)";

TEST(DiskFaults, EachScenarioFaultDoesWhatItSaysAndNothingElse) {
  const std::vector<Line> lines = run_with_probe(kScenario);
  ASSERT_FALSE(lines.empty());
  const std::string read = "\"op\":\"read\"", append = "\"op\":\"append\"";
  const std::string intact = "\"intact\":true", broken = "\"intact\":false";
  // Bit rot: the trace names one rotted file of n2; from then on exactly that file reads
  // back wrong, every time, and n2's other files and appends are fine.
  int rots = 0;
  std::string rotted;
  for (const Line& l : lines) {
    if (!has(l.text, "\"kind\":\"disk_rot\"")) continue;
    ++rots;
    EXPECT_TRUE(has(l.text, "\"node\":\"n2\"")) << l.text;
    for (const std::string& f : kFiles) {
      if (has(l.text, "\"file\":\"" + f + "\"")) rotted = f;
    }
  }
  ASSERT_EQ(rots, 1);
  ASSERT_FALSE(rotted.empty());  // the probe's files are the only synced non-empty ones
  EXPECT_EQ(count(lines, "n2", 0, 5.5, {read, broken}), 0);
  EXPECT_EQ(count(lines, "n2", 5.5, 20, {read, broken, "\"file\":\"" + rotted + "\""}), 14);
  EXPECT_EQ(count(lines, "n2", 5.5, 20, {read, broken}), 14);
  EXPECT_EQ(count(lines, "n2", 0, 20, {append, broken}), 0);
  // Read errors on n3 for 3s: every read then fails with DATA_LOSS, none before or after,
  // and the bytes are intact afterwards.
  EXPECT_EQ(count(lines, "n3", 8.5, 11.5, {read, "DATA_LOSS"}), 9);
  EXPECT_EQ(count(lines, "n3", 0, 8.5, {read, broken}), 0);
  EXPECT_EQ(count(lines, "n3", 11.5, 20, {read, broken}), 0);
  EXPECT_EQ(count(lines, "n3", 11.5, 20, {read, intact}), 24);
  EXPECT_EQ(count(lines, "n3", 0, 20, {append, broken}), 0);
  EXPECT_EQ(count(lines, "n3", 8.5, 11.5, {"\"kind\":\"disk_read_error\""}), 9);
  // n1's disk fills up: appends fail with RESOURCE_EXHAUSTED from then on; reads still work.
  EXPECT_EQ(count(lines, "n1", 0, 12.5, {append, broken}), 0);
  EXPECT_EQ(count(lines, "n1", 12.5, 20, {append, "RESOURCE_EXHAUSTED"}), 7);
  EXPECT_EQ(count(lines, "n1", 12.5, 20, {"\"kind\":\"disk_full\"", "probe/log"}), 7);
  EXPECT_EQ(count(lines, "n1", 0, 20, {read, broken}), 0);
  // Each applied fault is in the trace with its line.
  EXPECT_EQ(count(lines, "sim", 0, 20, {"\"fault\":\"disk\"", "\"line\":7"}), 1);
  EXPECT_EQ(count(lines, "n3", 11.5, 11.6, {"\"kind\":\"disk_fault_end\""}), 1);
}

TEST(DiskFaults, SameSeedSameTrace) {
  const std::vector<Line> a = run_with_probe(kScenario);
  const std::vector<Line> b = run_with_probe(kScenario);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].text, b[i].text);
}

// `disk: {parallel: N}`: at 1 s a node issues four syncs at once, each reported as a
// `synced` event when it completes; it does so again at every boot, one second in.
class SyncBurst final : public Service {
 public:
  explicit SyncBurst(Runtime& rt) : rt_(rt) {}
  std::vector<MessageType> message_types() const override { return {}; }
  void start() override {
    rt_.after(std::chrono::seconds(1), [this] {
      for (int i = 0; i < 4; ++i) {
        rt_.disk().sync_dir([this, i](absl::Status st) {
          rt_.log().event(Event{"synced", {{"i", int64_t{i}}, {"ok", st.ok()}}});
        });
      }
    });
  }
  void on_message(NodeId, const Message&) override {}

 private:
  Runtime& rt_;
};

// Completion times (ms, rounded) of the `synced` events, in trace order.
std::vector<int> synced_ms(const std::string& disk, const std::string& faults = "") {
  const std::vector<Line> lines =
      run_with_probe(absl::StrCat("name: disk-parallel\nduration: 5s\nplatform:\n  nodes: "
                                  "[{count: 1}]\n  disk: ",
                                  disk, "\n", faults),
                     [](Runtime& rt, const NodeSpec&) {
                       return std::unique_ptr<Service>(std::make_unique<SyncBurst>(rt));
                     });
  std::vector<int> out;
  for (const Line& l : lines) {
    if (has(l.text, "\"kind\":\"synced\"")) out.push_back(static_cast<int>(l.t * 1000 + 0.5));
  }
  return out;
}

TEST(DiskParallel, OperationsWaitTheirTurnInTheOrderIssued) {
  // No limit (the default): the four syncs overlap.
  EXPECT_EQ(synced_ms("{sync: 10ms}"), (std::vector<int>{1010, 1010, 1010, 1010}));
  // One at a time, as cairnd's FileDisk: each waits for the one before it.
  EXPECT_EQ(synced_ms("{sync: 10ms, parallel: 1}"), (std::vector<int>{1010, 1020, 1030, 1040}));
  EXPECT_EQ(synced_ms("{sync: 10ms, parallel: 2}"), (std::vector<int>{1010, 1010, 1020, 1020}));
}

TEST(DiskParallel, ACrashDropsTheQueueAndTheDiskServesAfterRestart) {
  // Crashed with the first sync under way and three waiting: none of them completes, and
  // after the restart (booted at 2s) the next burst is served one at a time from scratch.
  EXPECT_EQ(synced_ms("{sync: 10ms, parallel: 1}",
                      "faults:\n  - {at: 1005ms, crash: n1}\n  - {at: 2s, restart: n1}\n"),
            (std::vector<int>{3010, 3020, 3030, 3040}));
}

TEST(DiskParallel, BadValuesAreRefused) {
  auto s = parse_scenario_text(
      "name: x\nduration: 1s\nplatform:\n  nodes: [{count: 1}]\n  disk: {parallel: -1}\n",
      "bad.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(has(std::string(s.status().message()), "disk parallel")) << s.status();
}

// Reads take the disk's time whatever call makes them: a node stores 1 MB, then at 1 s
// reads it whole (read), as a range (read_range) and as a payload (read_payload), one
// after the other, reporting each completion as a `read_done` event. read_range() was
// once charged nothing (its size was taken after its bytes had moved into the callback).
class ReadTimer final : public Service {
 public:
  explicit ReadTimer(Runtime& rt) : rt_(rt) {}
  std::vector<MessageType> message_types() const override { return {}; }
  void start() override {
    rt_.disk().write("probe/big", Payload(std::string(kBytes, 'x')), [this](absl::Status st) {
      EXPECT_TRUE(st.ok()) << st;
      rt_.after(std::chrono::seconds(1), [this] { whole(); });
    });
  }
  void on_message(NodeId, const Message&) override {}
  static constexpr uint64_t kBytes = 1'000'000;

 private:
  void whole() {
    rt_.disk().read("probe/big", [this](absl::StatusOr<std::string> got) {
      done("read", got.ok() && got->size() == kBytes);
      rt_.disk().read_range("probe/big", 0, kBytes, [this](absl::StatusOr<std::string> r) {
        done("read_range", r.ok() && r->size() == kBytes);
        rt_.disk().read_payload("probe/big", 0, kBytes, [this](absl::StatusOr<RangeBytes> p) {
          done("read_payload", p.ok() && p->bytes.size() == kBytes);
        });
      });
    });
  }
  void done(const std::string& call, bool ok) {
    rt_.log().event(Event{"read_done", {{"call", call}, {"ok", ok}}});
  }
  Runtime& rt_;
};

TEST(DiskTime, EveryKindOfReadTakesTheDisksTime) {
  const std::vector<Line> lines = run_with_probe(
      "name: disk-reads\nduration: 3s\nplatform:\n  nodes: [{count: 1}]\n"
      "  disk: {read: 100MBps, write: 100MBps}\n",
      [](Runtime& rt, const NodeSpec&) {
        return std::unique_ptr<Service>(std::make_unique<ReadTimer>(rt));
      });
  std::vector<double> at;
  for (const Line& l : lines) {
    if (!has(l.text, "\"kind\":\"read_done\"")) continue;
    EXPECT_TRUE(has(l.text, "\"ok\":true")) << l.text;
    at.push_back(l.t);
  }
  ASSERT_EQ(at.size(), 3u);
  // 1 MB at 100 MB/s is 10 ms each, one after the other from about 1 s.
  double before = 1.010;  // the write took 10 ms, then a second passed
  for (double t : at) {
    EXPECT_NEAR(t - before, 0.010, 0.001) << t;
    before = t;
  }
}

// Counts its node's boots on the node's own disk: each start reads probe/boots (absent:
// none before), reports the count as a `boot` event, and stores one more, durably.
class BootCounter final : public Service {
 public:
  explicit BootCounter(Runtime& rt) : rt_(rt) {}
  std::vector<MessageType> message_types() const override { return {}; }
  void start() override {
    rt_.disk().read("probe/boots", [this](absl::StatusOr<std::string> got) {
      const size_t before = got.ok() ? got->size() : 0;
      rt_.log().event(
          Event{"boot",
                {{"before", static_cast<int64_t>(before)},
                 {"code", std::string(absl::StatusCodeToString(got.status().code()))}}});
      replace_atomically(rt_.disk(), "probe/boots", Payload(std::string(before + 1, 'x')),
                         [](absl::Status) {});
    });
  }
  void on_message(NodeId, const Message&) override {}

 private:
  Runtime& rt_;
};

TEST(DiskLoss, ACrashThatLosesTheDiskRestartsEmptyAndTheOthersKeepTheirs) {
  const std::string yaml = R"(name: disk-loss
duration: 12s
platform:
  nodes: [{count: 3}]
faults:
  - {at: 3s, crash: [n2, n3]}
  - {at: 5s, restart: [n2, n3]}
  - {at: 7s, crash: n3, lose_disk: true}
  - {at: 9s, restart: n3}
)";
  const std::vector<Line> lines = run_with_probe(yaml, [](Runtime& rt, const NodeSpec&) {
    return std::unique_ptr<Service>(std::make_unique<BootCounter>(rt));
  });
  ASSERT_FALSE(lines.empty());
  const std::string boot = "\"kind\":\"boot\"";
  // n1 booted once; n2 twice, the second time finding the first boot on its disk.
  EXPECT_EQ(count(lines, "n1", 0, 12, {boot}), 1);
  EXPECT_EQ(count(lines, "n2", 0, 12, {boot}), 2);
  EXPECT_EQ(count(lines, "n2", 5, 6, {boot, "\"before\":1"}), 1);
  // n3 kept its disk through the plain crash, and found it empty after the one that lost it.
  EXPECT_EQ(count(lines, "n3", 5, 6, {boot, "\"before\":1"}), 1);
  EXPECT_EQ(count(lines, "n3", 9, 10, {boot, "\"before\":0", "NOT_FOUND"}), 1);
  EXPECT_EQ(count(lines, "n3", 7, 7.001, {"\"kind\":\"disk_lost\""}), 1);
  EXPECT_EQ(count(lines, "n3", 0, 7, {"\"kind\":\"disk_lost\""}), 0);
  EXPECT_EQ(count(lines, "n2", 0, 12, {"\"kind\":\"disk_lost\""}), 0);
}

}  // namespace
}  // namespace cairn::sim
