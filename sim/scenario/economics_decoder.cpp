#include "scenario/economics_decoder.hpp"

#include <tuple>

#include "diag/suggest.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> economics_keys{"electricity_price", "pue", "amortization", "omit_unknown_parts", "silicon"};
const std::vector<std::string> silicon_keys{"process", "hbm", "packaging", "price_chips"};

// A PUE above 3 is no data centre's: the worst surveyed averages are about 2.5 (Uptime Institute).
constexpr double max_pue = 3.0;
// Straight-line depreciation over more than 20 years is not an accelerator's.
constexpr double max_amortization_s = 20 * 31557600.0;


// `silicon`: the process of the chip's compute dies (a catalog id) and the cost HBM and packaging add.
std::optional<economics::Silicon> decode_silicon(const Source& src, const YAML::Node& node, const std::string& path,
                                                 const catalog::Catalog& cat) {
    MapReader m(src, node, path, silicon_keys);
    if (!m.ok()) return std::nullopt;
    economics::Silicon s;
    bool ok = true;
    if (auto id = m.string("process", true)) {
        const auto it = cat.processes.find(*id);
        if (it == cat.processes.end()) {
            std::vector<std::string> valid;
            for (const auto& [k, v] : cat.processes) valid.push_back(k);
            src.error(m.get("process"), join_path(path, "process"),
                      "unknown process '" + *id + "'" + diag::did_you_mean(*id, valid) + "; valid: " + diag::join_names(valid) +
                          " (models/processes/)");
            ok = false;
        } else {
            s.process = it->second;
        }
    } else {
        ok = false;
    }
    for (const auto& [key, field, what] : {std::tuple{"hbm", &s.hbm_usd, "the HBM stacks of one package, e.g. \"1500 USD\""},
                                           std::tuple{"packaging", &s.packaging_usd, "packaging and test of one package, e.g. \"700 USD\""}}) {
        if (auto n = m.require(key, what)) {
            auto q = as_quantity(src, *n, join_path(path, key), units::Dimension::money, true);
            ok = q.has_value() && ok;
            *field = q.value_or(0);
        } else {
            ok = false;
        }
    }
    ok = read_flag(src, m, "price_chips", s.price_chips) && ok;
    if (!ok) return std::nullopt;
    return s;
}

}  // namespace

std::optional<economics::Assumptions> decode_economics(const Source& src, const YAML::Node& node, const std::string& path,
                                                       const catalog::Catalog& cat) {
    MapReader m(src, node, path, economics_keys);
    if (!m.ok()) return std::nullopt;
    economics::Assumptions a;
    bool ok = true;
    if (auto n = m.require("electricity_price", "the price of electricity, e.g. \"0.08 USD/kWh\"")) {
        auto q = as_quantity(src, *n, join_path(path, "electricity_price"), units::Dimension::energy_price, false);
        ok = q.has_value() && ok;
        a.electricity_usd_per_j = q.value_or(0);
    } else {
        ok = false;
    }
    if (auto n = m.require("pue", "the power usage effectiveness, a number from 1 to 3 such as 1.3")) {
        auto v = as_number_in(src, *n, join_path(path, "pue"), 1.0, max_pue, true,
                              "a power usage effectiveness (facility power / IT power), a plain number from 1 to 3 such as 1.3");
        ok = v.has_value() && ok;
        a.pue = v.value_or(1);
    } else {
        ok = false;
    }
    if (auto n = m.require("amortization", "the period the capital is depreciated over, e.g. \"4 years\"")) {
        const std::string p = join_path(path, "amortization");
        auto q = as_quantity(src, *n, p, units::Dimension::time, false);
        if (q && *q > max_amortization_s) {
            src.error(*n, p, "an amortisation period of more than 20 years is not plausible, got '" + n->Scalar() + "'");
            q.reset();
        }
        ok = q.has_value() && ok;
        a.amortization_s = q.value_or(0);
    } else {
        ok = false;
    }
    ok = read_flag(src, m, "omit_unknown_parts", a.omit_unknown_parts) && ok;
    if (m.has("silicon")) {
        a.silicon = decode_silicon(src, m.get("silicon"), join_path(path, "silicon"), cat);
        ok = a.silicon.has_value() && ok;
    }
    if (!ok) return std::nullopt;
    return a;
}

}  // namespace clustersim::scenario
