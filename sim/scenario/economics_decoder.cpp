#include "scenario/economics_decoder.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> economics_keys{"electricity_price", "pue", "amortization", "omit_unknown_parts"};

// A PUE above 3 is no data centre's: the worst surveyed averages are about 2.5 (Uptime Institute).
constexpr double max_pue = 3.0;
// Straight-line depreciation over more than 20 years is not an accelerator's.
constexpr double max_amortization_s = 20 * 31557600.0;

}  // namespace

std::optional<economics::Assumptions> decode_economics(const Source& src, const YAML::Node& node, const std::string& path) {
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
    if (!ok) return std::nullopt;
    return a;
}

}  // namespace clustersim::scenario
