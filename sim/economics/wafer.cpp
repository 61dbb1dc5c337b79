#include "economics/wafer.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace clustersim::economics {

std::string_view to_string(YieldModel m) {
    switch (m) {
        case YieldModel::poisson: return "poisson";
        case YieldModel::murphy: return "murphy";
    }
    return "?";
}

double dies_per_wafer(double wafer_diameter_m, double die_area_m2) {
    if (!(wafer_diameter_m > 0) || !(die_area_m2 > 0)) {
        throw std::invalid_argument("dies_per_wafer: the wafer diameter and the die area must be positive");
    }
    const double r = wafer_diameter_m / 2.0;
    const double gross = std::numbers::pi * r * r / die_area_m2 - std::numbers::pi * wafer_diameter_m / std::sqrt(2.0 * die_area_m2);
    return gross > 0 ? std::floor(gross) : 0.0;
}

double die_yield(double die_area_m2, double defects_per_m2, YieldModel model) {
    const double ad = die_area_m2 * defects_per_m2;  // expected defects per die
    if (!(ad >= 0)) throw std::invalid_argument("die_yield: area and defect density must not be negative");
    if (ad == 0) return 1.0;
    switch (model) {
        case YieldModel::poisson: return std::exp(-ad);
        case YieldModel::murphy: {
            // -expm1(-x) = 1 - e^-x without cancellation for small A D0.
            const double f = -std::expm1(-ad) / ad;
            return f * f;
        }
    }
    return 0.0;
}

double implied_defect_density(double yield, double die_area_m2, YieldModel model) {
    if (!(yield > 0 && yield <= 1) || !(die_area_m2 > 0)) {
        throw std::invalid_argument("implied_defect_density: needs 0 < yield <= 1 and a positive area");
    }
    if (yield == 1) return 0.0;
    if (model == YieldModel::poisson) return -std::log(yield) / die_area_m2;
    // Murphy's yield falls monotonically in A D0: bisect on x = A D0.
    double lo = 0.0;
    double hi = 1.0;
    while (die_yield(1.0, hi, model) > yield) hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
        const double mid = 0.5 * (lo + hi);
        (die_yield(1.0, mid, model) > yield ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi) / die_area_m2;
}

PackageCost package_cost(const PackageInputs& in) {
    PackageCost out;
    auto need = [&out](bool known, const char* name) {
        if (!known) out.unknown.emplace_back(name);
        return known;
    };
    const bool area = need(in.die_area_m2.has_value(), "die_area");
    if (area) out.dies_per_wafer = dies_per_wafer(in.wafer_diameter_m, *in.die_area_m2);
    if (in.given_yield) {
        out.yield = *in.given_yield;
    } else if (need(in.defects_per_m2.has_value(), "defect_density (or die_yield)") && area) {
        out.yield = die_yield(*in.die_area_m2, *in.defects_per_m2, in.model);
    }
    if (out.dies_per_wafer && out.yield) out.good_dies_per_wafer = *out.dies_per_wafer * *out.yield;
    if (need(in.wafer_price_usd.has_value(), "wafer_price") && out.good_dies_per_wafer && *out.good_dies_per_wafer > 0) {
        out.good_die_usd = *in.wafer_price_usd / *out.good_dies_per_wafer;
    }
    if (need(in.dies_per_package.has_value(), "compute_dies") && out.good_die_usd) {
        out.dies_usd = static_cast<double>(*in.dies_per_package) * *out.good_die_usd;
    }
    const bool hbm = need(in.hbm_usd.has_value(), "hbm cost");
    const bool packaging = need(in.packaging_usd.has_value(), "packaging cost");
    if (out.dies_usd && hbm && packaging) out.package_usd = *out.dies_usd + *in.hbm_usd + *in.packaging_usd;
    return out;
}

PackageInputs package_inputs(const catalog::ChipSpec& chip, const catalog::ProcessSpec* process) {
    PackageInputs in;
    if (chip.die_area.known()) in.die_area_m2 = chip.die_area.value->si();
    in.dies_per_package = chip.compute_dies.value;
    in.given_yield = chip.die_yield.value;
    if (process) {
        if (process->wafer_price.known()) in.wafer_price_usd = process->wafer_price.value->si();
        in.defects_per_m2 = process->defect_density.value;
    }
    return in;
}

}  // namespace clustersim::economics
