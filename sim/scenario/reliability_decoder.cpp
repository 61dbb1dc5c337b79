#include "scenario/reliability_decoder.hpp"

#include "diag/suggest.hpp"
#include "units/format.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> reliability_keys{"profile",         "accelerators_per_host", "nics_per_accelerator", "accelerators_per_rack",
                                                "checkpoint_bandwidth", "checkpoint_interval", "restart_time",     "spares"};
const std::vector<std::string> spares_keys{"per_domain", "domain_size", "swap_time", "repair_time"};

double mtbf_s(const catalog::Figure<units::Seconds>& f) { return f.known() ? f.value->si() : 0.0; }

/// `spares: {per_domain, domain_size, swap_time, repair_time}` (docs/scenario-format.md, "Reliability").
std::optional<reliability::Spares> decode_spares(const Source& src, const YAML::Node& node, const std::string& path) {
    MapReader m(src, node, path, spares_keys);
    if (!m.ok()) return std::nullopt;
    reliability::Spares s;
    bool ok = true;
    if (m.has("per_domain")) {
        const auto n = m.integer("per_domain", false, 1, 1'000'000);
        ok = n.has_value();
        s.per_domain = n.value_or(1);
    }
    if (const auto n = m.integer("domain_size", true, 1, 1'000'000'000)) {
        s.domain_size = *n;
    } else {
        ok = false;
    }
    if (auto n = m.require("swap_time", "the time an interruption a spare covers costs: swap the spare in, redirect its links, reload (e.g. \"3 min\")")) {
        const auto q = as_quantity(src, *n, join_path(path, "swap_time"), units::Dimension::time, true);
        ok = ok && q.has_value();
        s.swap_s = q.value_or(0);
    } else {
        ok = false;
    }
    if (auto n = m.require("repair_time", "how long a failed accelerator is out before it is a spare again (e.g. \"72 h\")")) {
        const auto q = as_quantity(src, *n, join_path(path, "repair_time"), units::Dimension::time, false);
        ok = ok && q.has_value();
        s.repair_s = q.value_or(0);
    } else {
        ok = false;
    }
    if (!ok) return std::nullopt;
    return s;
}

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
            j.mtbf = {mtbf_s(p.accelerator_mtbf), mtbf_s(p.host_mtbf),     mtbf_s(p.nic_mtbf),      mtbf_s(p.switch_mtbf),
                      mtbf_s(p.transceiver_mtbf), mtbf_s(p.link_mtbf),     mtbf_s(p.software_mtbf), mtbf_s(p.planned_interval),
                      mtbf_s(p.rack_mtbf)};
            j.restart_s = p.restart_time.known() ? p.restart_time.value->si() : -1.0;  // -1: the scenario must give it
        }
    } else {
        ok = false;
    }
    ok = read_number(src, m, "accelerators_per_host", j.accelerators_per_host, 1e-3, 1e6, true,
                     "accelerators per server, a number from 0.001 to 1e6 such as 8") && ok;
    ok = read_number(src, m, "nics_per_accelerator", j.nics_per_accelerator, 1e-3, 1e6, true,
                     "scale-out NICs per accelerator, a number from 0.001 to 1e6 such as 1") && ok;
    if (m.has("accelerators_per_rack")) {
        double per_rack = 0;
        const bool read = read_number(src, m, "accelerators_per_rack", per_rack, 1e-3, 1e9, true,
                                      "accelerators per rack (cabinet), a number from 0.001 to 1e9 such as 72");
        ok = read && ok;
        if (read) j.accelerators_per_rack = per_rack;
    }
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
    if (m.has("spares")) {
        j.spares = decode_spares(src, m.get("spares"), join_path(path, "spares"));
        ok = ok && j.spares.has_value();
    }
    if (ok && j.restart_s < 0) {
        src.error(node, path,
                  "the profile '" + j.profile + "' has no restart time: give restart_time, the time a job loses per interruption (e.g. \"10 min\")");
        ok = false;
    }
    if (ok && j.spares && j.spares->swap_s > j.restart_s) {
        const YAML::Node spares = m.get("spares");
        src.error(spares["swap_time"], join_path(join_path(path, "spares"), "swap_time"),
                  "a spare's swap-in must not take longer than the restart it replaces: " +
                      units::format_si(j.spares->swap_s, units::Dimension::time) + " > the restart time, " +
                      units::format_si(j.restart_s, units::Dimension::time));
        ok = false;
    }
    if (!ok) return std::nullopt;
    return j;
}

}  // namespace clustersim::scenario
