#include "scenario/reliability_decoder.hpp"

#include "diag/suggest.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> reliability_keys{"profile",      "accelerators_per_host", "nics_per_accelerator", "checkpoint_bandwidth",
                                                "checkpoint_interval", "restart_time"};

double mtbf_s(const catalog::Figure<units::Seconds>& f) { return f.known() ? f.value->si() : 0.0; }

}  // namespace

std::optional<reliability::JobSpec> decode_reliability(const Source& src, const YAML::Node& node, const std::string& path,
                                                       const catalog::Catalog& cat) {
    MapReader m(src, node, path, reliability_keys);
    if (!m.ok()) return std::nullopt;
    reliability::JobSpec j;
    bool ok = true;
    if (auto id = m.string("profile", true)) {
        const auto it = cat.reliability.find(*id);
        if (it == cat.reliability.end()) {
            const auto ids = cat.reliability_ids();
            src.error(m.get("profile"), join_path(path, "profile"),
                      "unknown reliability profile '" + *id + "'" + diag::did_you_mean(*id, ids) + "; valid: " + diag::join_names(ids) +
                          " (models/reliability/)");
            ok = false;
        } else {
            const auto& p = it->second;
            j.profile = p.id;
            j.mtbf = {mtbf_s(p.accelerator_mtbf), mtbf_s(p.host_mtbf),        mtbf_s(p.nic_mtbf),     mtbf_s(p.switch_mtbf),
                      mtbf_s(p.transceiver_mtbf), mtbf_s(p.link_mtbf),        mtbf_s(p.software_mtbf), mtbf_s(p.planned_interval)};
            j.restart_s = p.restart_time.known() ? p.restart_time.value->si() : -1.0;  // -1: the scenario must give it
        }
    } else {
        ok = false;
    }
    ok = read_number(src, m, "accelerators_per_host", j.accelerators_per_host, 1e-3, 1e6, true,
                     "accelerators per server, a number from 0.001 to 1e6 such as 8") && ok;
    ok = read_number(src, m, "nics_per_accelerator", j.nics_per_accelerator, 1e-3, 1e6, true,
                     "scale-out NICs per accelerator, a number from 0.001 to 1e6 such as 1") && ok;
    if (auto n = m.require("checkpoint_bandwidth", "the checkpoint storage's aggregate write bandwidth, e.g. \"1 TB/s\"")) {
        auto q = as_quantity(src, *n, join_path(path, "checkpoint_bandwidth"), units::Dimension::data_rate, false);
        ok = ok && q.has_value();
        j.checkpoint_Bps = q.value_or(0);
    } else {
        ok = false;
    }
    for (const char* key : {"checkpoint_interval", "restart_time"}) {
        if (!m.has(key)) continue;
        auto q = as_quantity(src, m.get(key), join_path(path, key), units::Dimension::time, std::string_view(key) == "restart_time");
        ok = ok && q.has_value();
        if (!q) continue;
        if (std::string_view(key) == "restart_time") {
            j.restart_s = *q;
        } else {
            j.interval_s = *q;
        }
    }
    if (ok && j.restart_s < 0) {
        src.error(node, path,
                  "the profile '" + j.profile + "' has no restart time: give restart_time, the time a job loses per interruption (e.g. \"10 min\")");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return j;
}

}  // namespace clustersim::scenario
