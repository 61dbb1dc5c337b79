#pragma once
// What a chip costs to make: dies per wafer, die yield, cost per good die and per package.
// Equations and sources: docs/models/economics.md, "Wafer-derived chip cost".
//
// Raw doubles in SI units inside (m, m^2, defects per m^2, USD); std::optional for every figure that
// may be unknown: an unknown input gives an unknown output, never a zero.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/chip.hpp"
#include "catalog/process.hpp"

namespace clustersim::economics {

/// The standard 300 mm wafer of every leading-edge logic process.
inline constexpr double standard_wafer_diameter_m = 0.300;

/// Gross dies per wafer, the standard approximation (e.g. de Vries, IEEE Trans. Semicond. Manuf. 18(1), 2005):
/// DPW = floor(pi (d/2)^2 / A - pi d / sqrt(2 A)); the second term counts the partial dies lost at
/// the edge. 0 when the die is too large for the wafer. Requires d > 0, A > 0.
double dies_per_wafer(double wafer_diameter_m, double die_area_m2);

enum class YieldModel {
    poisson,  ///< Y = exp(-A D0): defects fall independently, uniformly
    murphy,   ///< Y = ((1 - exp(-A D0)) / (A D0))^2 (Murphy 1964): defect density varies across wafers
};
std::string_view to_string(YieldModel m);

/// Fraction of good dies of area A (m^2) at defect density D0 (per m^2). 1 at D0 = 0.
double die_yield(double die_area_m2, double defects_per_m2, YieldModel model);

/// The defect density at which `model` gives `yield` for a die of area A: the inverse of die_yield
/// (Poisson: D0 = -ln(Y) / A; Murphy: solved by bisection). Requires 0 < yield <= 1.
double implied_defect_density(double yield, double die_area_m2, YieldModel model);

/// Inputs of the wafer-cost model for one package (an accelerator: its compute dies, HBM and
/// packaging). Unknown inputs stay unknown.
struct PackageInputs {
    std::optional<double> die_area_m2;         ///< one compute die
    std::optional<std::int64_t> dies_per_package;
    std::optional<double> wafer_price_usd;     ///< one processed wafer
    std::optional<double> defects_per_m2;      ///< D0 of the process
    std::optional<double> given_yield;         ///< a reported die yield: used instead of the defect model when set
    YieldModel model = YieldModel::murphy;
    double wafer_diameter_m = standard_wafer_diameter_m;
    std::optional<double> hbm_usd;             ///< HBM stacks of one package
    std::optional<double> packaging_usd;       ///< interposer or substrate, assembly and test of one package
};

/// The model's answer; every figure unknown when one of its inputs is.
struct PackageCost {
    std::optional<double> dies_per_wafer;
    std::optional<double> yield;                 ///< good dies / dies
    std::optional<double> good_dies_per_wafer;   ///< dies_per_wafer x yield
    std::optional<double> good_die_usd;          ///< wafer price / (dies per wafer x yield)
    std::optional<double> dies_usd;              ///< dies per package x good die
    std::optional<double> package_usd;           ///< dies + HBM + packaging
    std::vector<std::string> unknown;            ///< the inputs that were missing, by name
};

PackageCost package_cost(const PackageInputs& in);

/// A chip's wafer-model inputs from the catalog: its die area, dies per package and reported yield,
/// and its process's wafer price and defect density (`process` may be null: those stay unknown).
/// HBM and packaging are not catalog figures: the caller sets them.
PackageInputs package_inputs(const catalog::ChipSpec& chip, const catalog::ProcessSpec* process);

}  // namespace clustersim::economics
