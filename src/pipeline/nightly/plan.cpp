#include <map>
#include <set>
#include <tuple>

#include "plan.h"

namespace farmwatch::pipeline::nightly {
using nlohmann::json;

io::SceneRecord record_of(const io::SceneCandidate& c, const std::string& status,
                          const std::string& reason) {
  io::SceneRecord r;
  r.product_id = c.product_id;
  r.checksum = c.checksum;
  r.kind = c.kind;
  r.sensor = c.sensor;
  r.path = c.path;
  r.acquired = c.acquired;
  r.status = status;
  r.reason = reason;
  r.bytes = c.bytes;
  return r;
}

Plan plan_night(const std::vector<io::SceneCandidate>& found,
                const std::vector<io::SceneRecord>& known) {
  Plan plan;
  std::set<std::tuple<std::string, std::string, std::string>> handled;  // product, checksum, path
  std::map<std::string, std::string> done_checksum;  // checksum -> product, handled before
  for (const auto& k : known) {
    if (k.status != "new") handled.insert({k.product_id, k.checksum, k.path});
    if (k.status == "processed" || k.status == "cloudy" || k.status == "replaced")
      done_checksum[k.checksum] = k.product_id;
  }
  std::set<std::string> planned_checksums;
  for (const auto& c : found) {
    json line = {{"path", c.path},        {"product_id", c.product_id}, {"kind", c.kind},
                 {"acquired", c.acquired}, {"checksum", c.checksum}};
    if (handled.count({c.product_id, c.checksum, c.path})) {
      line["action"] = "already handled";
    } else if (!c.error.empty()) {
      line["action"] = "failed";
      line["reason"] = c.error;
      plan.settled.push_back(record_of(c, "failed", c.error));
    } else if (done_checksum.count(c.checksum) || planned_checksums.count(c.checksum)) {
      line["action"] = "duplicate";
      plan.settled.push_back(record_of(c, "duplicate", "the same bytes as a delivery of " +
                                                           (done_checksum.count(c.checksum)
                                                                ? done_checksum[c.checksum]
                                                                : c.product_id)));
    } else {
      bool replaces = false;
      for (const auto& k : known)
        replaces = replaces || (k.product_id == c.product_id && k.status == "processed");
      line["action"] = replaces ? "compare (replaces an earlier delivery)" : "compare";
      planned_checksums.insert(c.checksum);
      plan.process.push_back(c);
    }
    plan.listing.push_back(line);
  }
  return plan;
}

}  // namespace farmwatch::pipeline::nightly
