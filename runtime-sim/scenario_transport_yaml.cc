// The `transport:` part of a scenario: whether to model the real TCP transport's
// connections and reconnect back-off (connection_model.h). Documented in docs/scenarios.md.
#include "absl/strings/str_cat.h"
#include "runtime-sim/scenario_read.h"

namespace cairn::sim::yaml {

void read_transport(const YAML::Node& n, Scenario& s, bool first_contact_given) {
  only_keys(n, "transport", {"model", "backoff_min", "backoff_max", "hold", "hello_ends_backoff"});
  TransportSpec& t = s.transport;
  if (n["model"]) {
    const std::string model = scalar(n["model"], "model");
    if (model != "tcp" && model != "none") {
      fail(n["model"], absl::StrCat("unknown transport model '", model, "' (known: tcp, none)"));
    }
    t.model = model == "tcp";
  }
  if (n["backoff_min"]) t.backoff_min = duration(n["backoff_min"], "backoff_min");
  if (n["backoff_max"]) t.backoff_max = duration(n["backoff_max"], "backoff_max");
  if (n["hold"]) t.hold_backoff_max = duration(n["hold"], "hold");
  if (n["hello_ends_backoff"]) {
    t.hello_ends_backoff = boolean(n["hello_ends_backoff"], "hello_ends_backoff");
  }
  if (t.backoff_min <= Duration(0)) fail(n["backoff_min"], "backoff_min must be positive");
  if (t.backoff_max < t.backoff_min) fail(n, "backoff_max must be at least backoff_min");
  if (t.hold_backoff_max < Duration(0)) fail(n["hold"], "hold must not be negative");
  // A restarted node gives the peers it watches as long as their links may back off, as
  // cairnd does, unless the scenario says otherwise.
  if (t.model && !first_contact_given) s.membership().first_contact_grace = t.longest_backoff();
}

}  // namespace cairn::sim::yaml
