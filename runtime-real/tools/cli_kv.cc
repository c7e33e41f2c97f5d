#include "runtime-real/tools/cli_kv.h"

#include <CLI/CLI.hpp>
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/json.h"
#include "core/kv/kv_limits.h"
#include "runtime-real/tools/kv_blocking_client.h"

namespace cairn::real::cli {
namespace {

using kv::wire::KvResult;

constexpr size_t kShownValueBytes = 200;  // a cas mismatch shows a found value up to this

// The value a positional stands for: itself, or stdin's bytes if it is "-".
absl::StatusOr<std::string> value_of(const std::string& arg) {
  if (arg != "-") return arg;
  return read_input("-", kv::kMaxValueBytes);
}

absl::StatusOr<std::string> value_from_file(const std::string& path) {
  return read_input(path, kv::kMaxValueBytes);
}

// Adds "over the limit" to an input that was too long.
absl::Status explain(const absl::Status& st, const char* what) {
  if (!absl::IsOutOfRange(st)) return st;
  return absl::OutOfRangeError(absl::StrCat(what, " is over the limit of ", kv::kMaxValueBytes,
                                            " bytes (", st.message(), ")"));
}

// Builds the command from the parsed arguments, reading stdin or files where asked.
absl::StatusOr<kv::wire::KvCommand> command_of(const KvArgs& a) {
  kv::wire::KvCommand c;
  c.set_key(a.key);
  if (a.verb == "get" || a.verb == "del") {
    c.set_op(a.verb == "get" ? kv::wire::KV_GET : kv::wire::KV_DELETE);
    return c;
  }
  const bool cas = a.verb == "cas";
  c.set_op(cas ? kv::wire::KV_CAS : kv::wire::KV_PUT);
  const size_t wanted = (cas && a.expected_file.empty() ? 1 : 0) + (a.file.empty() ? 1 : 0);
  if (a.values.size() != wanted) {
    return absl::InvalidArgumentError(
        cas ? "cas takes KEY EXPECTED NEW; --expected-file replaces EXPECTED, --file NEW"
            : "put takes KEY VALUE, or KEY and --file PATH");
  }
  if (std::count(a.values.begin(), a.values.end(), "-") > 1) {
    return absl::InvalidArgumentError("only one value can come from stdin (\"-\")");
  }
  size_t next = 0;
  if (cas) {
    auto expected =
        a.expected_file.empty() ? value_of(a.values[next++]) : value_from_file(a.expected_file);
    if (!expected.ok()) return explain(expected.status(), "the expected value");
    c.set_expected(std::move(*expected));
  }
  auto value = a.file.empty() ? value_of(a.values[next]) : value_from_file(a.file);
  if (!value.ok()) return explain(value.status(), "the value");
  c.set_value(std::move(*value));
  return c;
}

// A found value as a short, printable text for a message, or its size.
std::string describe(const std::string& value) {
  const bool printable = value.size() <= kShownValueBytes && is_valid_utf8(value) &&
                         std::none_of(value.begin(), value.end(), [](char ch) {
                           return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7F;
                         });
  return printable ? value : absl::StrCat("a value of ", value.size(), " bytes");
}

int report_get(const KvArgs& a, const Output& out, const KvResult& r) {
  JsonObject o;
  o.bytes("key", a.key).boolean("found", r.found());
  if (!r.found()) {
    return out.json() ? out.result(o, kExitNo) : out.error(kExitNo, a.key + ": not found");
  }
  if (!a.output.empty()) {
    if (absl::Status st = write_file(a.output, r.value()); !st.ok()) return out.error(st);
    o.number("bytes", static_cast<int64_t>(r.value().size())).bytes("output", a.output);
    return out.json() ? out.result(o, kExitOk) : kExitOk;
  }
  if (out.json()) return out.result(o.bytes("value", r.value()), kExitOk);
  // A terminal gets a line ending; a pipe or file gets exactly the value.
  return out.text(stdout_is_terminal() ? r.value() + "\n" : r.value(), kExitOk);
}

int report(const KvArgs& a, const Output& out, const KvResult& r) {
  if (a.verb == "get") return report_get(a, out, r);
  JsonObject o;
  o.bytes("key", a.key).boolean("ok", r.ok());
  if (r.ok())
    return out.json() ? out.result(o, kExitOk)
                      : out.text(a.verb == "del" ? "deleted\n" : "ok\n", kExitOk);
  o.boolean("found", r.found());
  if (a.verb == "del") {
    return out.json() ? out.result(o, kExitNo) : out.error(kExitNo, a.key + ": not found");
  }
  CAIRN_ASSERT(a.verb == "cas");
  if (out.json()) return out.result(r.found() ? o.bytes("value", r.value()) : o, kExitNo);
  return out.error(kExitNo, r.found() ? "cas failed, found: " + describe(r.value())
                                      : "cas failed: " + a.key + " not found");
}

}  // namespace

CLI::App* add_kv_command(CLI::App& app, KvArgs& a) {
  CLI::App* kv = app.add_subcommand("kv", "the meta group's key-value store");
  kv->require_subcommand(1);
  struct Verb {
    const char* name;
    const char* help;
    const char* values;  // the positionals after KEY, "" if none
  };
  const Verb verbs[] = {
      {"put", "set KEY to VALUE (\"-\": stdin; or --file PATH)", "VALUE"},
      {"get", "write KEY's value to stdout, byte for byte (linearizable read)", ""},
      {"cas", "set KEY to NEW if its value is EXPECTED (either may be \"-\": stdin)",
       "EXPECTED NEW"},
      {"del", "delete KEY", ""},
  };
  for (const Verb& v : verbs) {
    CLI::App* sub = kv->add_subcommand(v.name, v.help);
    sub->add_option("KEY", a.key, "the key (at most 4 KiB)")->required();
    const std::string name = v.name;
    if (name == "put" || name == "cas") {
      sub->add_option(v.values, a.values, "values (at most 1 MiB each)")
          ->expected(0, name == "cas" ? 2 : 1);
      sub->add_option("--file", a.file, "read the (new) value from this file");
    }
    if (name == "cas") {
      sub->add_option("--expected-file", a.expected_file, "read EXPECTED from this file");
    }
    if (name == "get") sub->add_option("-o,--output", a.output, "write the value to this file");
    add_cluster_options(*sub, a.cluster);
    sub->callback([&a, name] { a.verb = name; });
  }
  return kv;
}

int run_kv_command(const KvArgs& a) {
  const Output out(a.cluster.json);
  auto target = resolve(a.cluster);
  if (!target.ok()) return out.error(target.status());
  auto command = command_of(a);
  if (!command.ok()) return out.error(command.status());
  KvBlockingClientOptions options;
  options.peers = target->peers;
  options.deadline = target->timeout;
  options.attempt_timeout = std::min(options.deadline, std::chrono::milliseconds(1000));
  KvBlockingClient client(options);
  absl::StatusOr<KvResult> r = client.run(std::move(*command));
  if (!r.ok()) return out.error(r.status());
  return report(a, out, *r);
}

}  // namespace cairn::real::cli
