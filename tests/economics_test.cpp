// The economics model (sim/economics): dies per wafer and die yield on hand-worked cases, cost per
// good die and per package, unknown propagation (an unknown price gives an unknown cost, never 0),
// power, capital and operating cost, energy and cost per token, scaling a system's figures to a
// count, the catalog's figures, and the `economics:` decoder with one bad file per error
// (docs/models/economics.md).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "catalog/cluster.hpp"
#include "diag/diagnostic.hpp"
#include "economics/model.hpp"
#include "economics/wafer.hpp"
#include "scenario/economics_decoder.hpp"
#include "scenario/scenario_loader.hpp"
#include "output/csv.hpp"
#include "run/runner.hpp"
#include "test_support.hpp"
#include "units/format.hpp"

using namespace clustersim;
using namespace clustersim::economics;

namespace {

constexpr double mm2 = 1e-6;         // m^2
constexpr double per_cm2 = 1e4;      // per m^2
constexpr double year_s = 31557600;  // Julian year
constexpr double usd_per_kwh = 1.0 / 3.6e6;

Assumptions us_case() {
    Assumptions a;
    a.electricity_usd_per_j = 0.08 * usd_per_kwh;
    a.pue = 1.3;
    a.amortization_s = 4 * year_s;
    return a;
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("economics: dies per wafer, the standard formula, on hand-worked cases") {
    // DPW = pi (d/2)^2 / A - pi d / sqrt(2 A), floored.
    // d = 300 mm, A = 100 mm2: 70685.83 / 100 - 942.478 / 14.142 = 706.86 - 66.64 = 640.2 -> 640.
    CHECK(dies_per_wafer(0.3, 100 * mm2) == 640);
    // H100's 814 mm2: 86.84 - 942.478 / 40.35 = 86.84 - 23.36 = 63.48 -> 63.
    CHECK(dies_per_wafer(0.3, 814 * mm2) == 63);
    // The 910B's 665.61 mm2: 106.20 - 942.478 / 36.486 = 106.20 - 25.83 = 80.37 -> 80.
    CHECK(dies_per_wafer(0.3, 665.61 * mm2) == 80);
    // A die too large for the wafer: none.
    CHECK(dies_per_wafer(0.3, 0.05) == 0);
    // Smaller dies: never fewer per wafer.
    CHECK(dies_per_wafer(0.3, 400 * mm2) > dies_per_wafer(0.3, 800 * mm2));
    CHECK_THROWS_AS(dies_per_wafer(0.3, 0), std::invalid_argument);
}

TEST_CASE("economics: Poisson and Murphy yields on hand-worked cases, and their inverse") {
    // A D0 = 1 cm2 x 0.5 /cm2 = 0.5: Poisson e^-0.5 = 0.60653; Murphy ((1 - e^-0.5) / 0.5)^2 = 0.78694^2 = 0.61927.
    CHECK(die_yield(100 * mm2, 0.5 * per_cm2, YieldModel::poisson) == doctest::Approx(0.6065306597));
    CHECK(die_yield(100 * mm2, 0.5 * per_cm2, YieldModel::murphy) == doctest::Approx(0.6192675449));
    // No defects: every die is good; Murphy is never below Poisson.
    CHECK(die_yield(814 * mm2, 0, YieldModel::murphy) == 1.0);
    for (double d0 : {0.01, 0.1, 0.5, 2.0}) {
        CHECK(die_yield(814 * mm2, d0 * per_cm2, YieldModel::murphy) >= die_yield(814 * mm2, d0 * per_cm2, YieldModel::poisson));
    }
    // Larger dies yield less at the same D0.
    CHECK(die_yield(800 * mm2, 0.1 * per_cm2, YieldModel::murphy) < die_yield(400 * mm2, 0.1 * per_cm2, YieldModel::murphy));
    // The inverse: Poisson D0 = -ln(0.4) / 6.6561 cm2 = 0.13766 /cm2; Murphy solves ((1 - e^-x)/x)^2 = 0.4 at
    // x = 0.99867, D0 = 0.15004 /cm2 (models/processes/smic_n_plus_2.yaml).
    CHECK(implied_defect_density(0.4, 665.61 * mm2, YieldModel::poisson) / per_cm2 == doctest::Approx(0.137662).epsilon(1e-5));
    const double murphy_d0 = implied_defect_density(0.4, 665.61 * mm2, YieldModel::murphy);
    CHECK(murphy_d0 / per_cm2 == doctest::Approx(0.15004).epsilon(1e-4));
    CHECK(die_yield(665.61 * mm2, murphy_d0, YieldModel::murphy) == doctest::Approx(0.4).epsilon(1e-12));
}

TEST_CASE("economics: cost per good die and per package on a hand-worked case (H100)") {
    // 13,400 USD per 4N wafer, 814 mm2, yield 0.6: 63 dies, 37.8 good, 354.50 USD per good die;
    // + 1,500 HBM3 + 723 CoWoS = 2,577.50 USD (Raymond James: about 3,320 with test and board).
    PackageInputs in;
    in.die_area_m2 = 814 * mm2;
    in.dies_per_package = 1;
    in.wafer_price_usd = 13400;
    in.given_yield = 0.6;
    in.hbm_usd = 1500;
    in.packaging_usd = 723;
    const auto c = package_cost(in);
    REQUIRE(c.package_usd);
    CHECK(*c.dies_per_wafer == 63);
    CHECK(*c.good_dies_per_wafer == doctest::Approx(37.8));
    CHECK(*c.good_die_usd == doctest::Approx(13400 / 37.8));
    CHECK(*c.package_usd == doctest::Approx(13400 / 37.8 + 1500 + 723));
    CHECK(c.unknown.empty());
    // Two dies per package: twice the silicon.
    in.dies_per_package = 2;
    CHECK(*package_cost(in).dies_usd == doctest::Approx(2 * 13400 / 37.8));
}

TEST_CASE("economics: an unknown wafer price or HBM cost gives an unknown cost, never 0") {
    PackageInputs in;
    in.die_area_m2 = 665.61 * mm2;
    in.dies_per_package = 2;
    in.defects_per_m2 = 0.15 * per_cm2;
    const auto c = package_cost(in);
    CHECK(c.dies_per_wafer);
    CHECK(c.yield);
    CHECK_FALSE(c.good_die_usd);
    CHECK_FALSE(c.dies_usd);
    CHECK_FALSE(c.package_usd);
    CHECK(contains(c.unknown, "wafer_price"));
    in.wafer_price_usd = 14500;
    const auto d = package_cost(in);
    CHECK(d.dies_usd);
    CHECK_FALSE(d.package_usd);  // HBM and packaging still unknown
    CHECK(contains(d.unknown, "hbm cost"));
}

TEST_CASE("economics: the 910C's silicon from the catalog (SMIC N+2, 40% yield) against its ~$20,800 all-in") {
    const auto& cat = test::source_catalog();
    const auto in = package_inputs(cat.chips.at("ascend_910c"), &cat.processes.at("smic_n_plus_2"));
    const auto c = package_cost(in);
    // 80 dies of 665.61 mm2 per wafer, 40% good: 32; 14,500 / 32 = 453.13 USD per die, 906.25 per package.
    REQUIRE(c.dies_usd);
    CHECK(*c.dies_per_wafer == 80);
    CHECK(*c.good_dies_per_wafer == doctest::Approx(32));
    CHECK(*c.dies_usd == doctest::Approx(906.25));
    CHECK_FALSE(c.package_usd);  // HBM and packaging are not catalog figures
    // Silicon is under 5% of the reported all-in price per NPU ($8M / 384).
    const double all_in = cat.systems.at("cloudmatrix_384").price.value->si() / 384;
    CHECK(all_in == doctest::Approx(20833.33).epsilon(1e-4));
    CHECK(*c.dies_usd / all_in < 0.05);
}

TEST_CASE("economics: energy per token is power / tokens per second; cost per million tokens by hand") {
    CHECK(energy_per_token_j(1e6, 2e5) == 5.0);
    // 1,000 USD per hour at 10,000 tokens/s: 36e6 tokens per hour, 27.78 USD per million.
    CHECK(cost_per_million_tokens_usd(1000, 1e4) == doctest::Approx(27.7777778));
    CHECK_THROWS_AS(energy_per_token_j(1e6, 0), std::invalid_argument);
}

TEST_CASE("economics: a bottom-up cluster on a hand-worked case (8 H100 in a DGX)") {
    // IT power 8 x (700 + 575) = 10,200 W = the DGX H100's 10.2 kW max; facility x 1.3 = 13,260 W.
    // Capex 8 x (27,500 + 6,250) = 270,000 USD; per hour over 4 years (35,063 h): 7.7002 USD.
    // Energy per hour 13.26 kWh x 0.08 = 1.0608 USD. At 10,000 training tokens/s:
    // 1.326 J/token, (7.7002 + 1.0608) / 36 = 0.24336 USD per million tokens.
    Inputs in;
    in.chips = 8;
    in.chip_tdp_w = 700;
    in.host_power_w_per_chip = 575;
    in.chip_price_usd = 27500;
    in.host_price_usd_per_chip = 6250;
    in.network_power_w = 0;  // a single server: no switches
    in.network_price_usd = 0;
    in.training_tokens_per_s = 1e4;
    const auto o = evaluate(in, us_case());
    REQUIRE(o.cost_per_hour_usd);
    CHECK(*o.it_power_w == doctest::Approx(10200));
    CHECK(*o.facility_power_w == doctest::Approx(13260));
    CHECK(*o.capex_usd == doctest::Approx(270000));
    CHECK(*o.capex_per_chip_usd == doctest::Approx(33750));
    CHECK(*o.capex_per_hour_usd == doctest::Approx(270000 / (4 * 8766.0)));
    CHECK(*o.energy_per_hour_usd == doctest::Approx(13.26 * 0.08));
    CHECK(*o.training_energy_per_token_j == doctest::Approx(1.326));
    CHECK(*o.training_cost_per_million_tokens_usd == doctest::Approx((270000 / (4 * 8766.0) + 1.0608) / 36));
    CHECK(*o.training_tokens_per_s_per_kw == doctest::Approx(1e4 / 13.26));
    CHECK(*o.training_tokens_per_s_per_musd == doctest::Approx(1e4 / 0.27));
    CHECK_FALSE(o.serving_energy_per_output_token_j);  // no serving throughput given
    CHECK(o.unknown.empty());
    CHECK(o.omitted.empty());
}

TEST_CASE("economics: unknown stays unknown, unless the assumptions omit host and network terms") {
    Inputs in;
    in.chips = 1024;
    in.chip_tdp_w = 700;
    in.host_power_w_per_chip = 575;
    in.chip_price_usd = 27500;
    in.serving_output_tokens_per_s = 1e5;
    // Network power and price, host price unknown: power and capital unknown, never counted as 0.
    auto o = evaluate(in, us_case());
    CHECK_FALSE(o.it_power_w);
    CHECK_FALSE(o.facility_power_w);
    CHECK_FALSE(o.capex_usd);
    CHECK_FALSE(o.cost_per_hour_usd);
    CHECK_FALSE(o.serving_cost_per_million_output_tokens_usd);
    CHECK(contains(o.unknown, "network power"));
    CHECK(contains(o.unknown, "host price"));
    // Omitted: the known terms only, each omission named.
    auto a = us_case();
    a.omit_unknown_parts = true;
    o = evaluate(in, a);
    REQUIRE(o.it_power_w);
    CHECK(*o.it_power_w == doctest::Approx(1024 * 1275.0));
    CHECK(*o.capex_usd == doctest::Approx(1024 * 27500.0));
    CHECK(contains(o.omitted, "network power"));
    CHECK(contains(o.omitted, "host price"));
    CHECK(o.serving_energy_per_output_token_j);
    // An unknown chip price is never omitted: the capital stays unknown.
    in.chip_price_usd.reset();
    o = evaluate(in, a);
    CHECK_FALSE(o.capex_usd);
    CHECK(contains(o.unknown, "chip price"));
    CHECK(o.it_power_w);
}

TEST_CASE("economics: a system's price and all-in power scale to the count; nothing is added to them") {
    // CloudMatrix 384: 8M USD and 559 kW for 384 NPUs. 768 NPUs: 16M USD, 1,118 kW, 20,833 USD per NPU.
    Inputs in;
    in.chips = 768;
    in.system_price_usd = SystemFigure{8e6, 384};
    in.power_all_in_w = SystemFigure{559e3, 384};
    in.network_power_w = 1e6;  // counted inside the all-in figure: not added
    in.network_price_usd = 1e6;
    const auto o = evaluate(in, us_case());
    CHECK(*o.capex_usd == doctest::Approx(16e6));
    CHECK(*o.capex_per_chip_usd == doctest::Approx(8e6 / 384));
    CHECK(*o.it_power_w == doctest::Approx(1118e3));
    CHECK(o.power_basis == "system all-in figure");
    CHECK(o.capex_basis == "system price");
    // From the catalog: make_cluster scales the preset's figures, inputs_from_cluster reads them.
    const auto& cat = test::source_catalog();
    const auto cluster = catalog::make_cluster(cat.systems.at("cloudmatrix_384"), cat.chips.at("ascend_910c"), 192, {});
    const auto from_cat = evaluate(inputs_from_cluster(cluster), us_case());
    REQUIRE(from_cat.capex_usd);
    CHECK(*from_cat.capex_usd == doctest::Approx(4e6));
    CHECK(*from_cat.it_power_w == doctest::Approx(279.5e3));
    CHECK(cluster.price.provenance.confidence == catalog::Confidence::derived);
}

TEST_CASE("economics: cheaper electricity never costs more; a higher PUE never less") {
    Inputs in;
    in.chips = 384;
    in.power_all_in_w = SystemFigure{559e3, 384};
    in.system_price_usd = SystemFigure{8e6, 384};
    in.training_tokens_per_s = 1e5;
    auto china = us_case();
    china.electricity_usd_per_j = 0.06 * usd_per_kwh;
    const auto us = evaluate(in, us_case());
    const auto cn = evaluate(in, china);
    CHECK(*cn.training_cost_per_million_tokens_usd < *us.training_cost_per_million_tokens_usd);
    CHECK(*cn.training_energy_per_token_j == *us.training_energy_per_token_j);
    auto worse = us_case();
    worse.pue = 1.6;
    CHECK(*evaluate(in, worse).training_energy_per_token_j > *us.training_energy_per_token_j);
    auto bad = us_case();
    bad.pue = 0.9;
    CHECK_THROWS_AS(evaluate(in, bad), std::invalid_argument);
    in.chips = 0;
    CHECK_THROWS_AS(evaluate(in, us_case()), std::invalid_argument);
}

TEST_CASE("economics: catalog prices and host power are in the chip and system files") {
    const auto& cat = test::source_catalog();
    const auto& h100 = cat.chips.at("nvidia_h100_sxm");
    REQUIRE(h100.price.known());
    CHECK(h100.price.value->si() == 27500);
    REQUIRE(h100.host_power.known());
    // DGX H100: 8 x (700 + 575) W = 10.2 kW, the system file's all-in figure.
    CHECK(8 * (h100.tdp.value->si() + h100.host_power.value->si()) ==
          doctest::Approx(cat.systems.at("hgx_h100_8gpu").power_all_in.value->si()));
    CHECK(cat.systems.at("gb200_nvl72").price.value->si() == 3.1e6);
    // Unknown is null, never 0.
    CHECK_FALSE(cat.chips.at("ascend_910c").price.known());
    CHECK(cat.processes.count("tsmc_n4") == 1);
}

// ---------------------------------------------------------------- the `economics:` decoder

TEST_CASE("economics: the decoder reads the assumptions from YAML text") {
    diag::Diagnostics diags;
    const auto root = scenario::parse_yaml_text(
        "economics:\n  electricity_price: \"0.08 USD/kWh\"\n  pue: 1.3\n  amortization: \"4 years\"\n", "inline.yaml", diags);
    REQUIRE(root);
    const scenario::Source src{"inline.yaml", diags};
    const auto a = scenario::decode_economics(src, (*root)["economics"], "economics", test::source_catalog());
    REQUIRE(a);
    CHECK(diags.empty());
    CHECK(a->electricity_usd_per_j == doctest::Approx(0.08 / 3.6e6));
    CHECK(a->pue == 1.3);
    CHECK(a->amortization_s == 4 * year_s);
    CHECK_FALSE(a->omit_unknown_parts);
    // The same in MWh and hours, and the flag.
    const auto root2 = scenario::parse_yaml_text(
        "economics: {electricity_price: \"60 USD/MWh\", pue: 1, amortization: \"35064 h\", omit_unknown_parts: true}\n",
        "inline2.yaml", diags);
    const auto b = scenario::decode_economics(scenario::Source{"inline2.yaml", diags}, (*root2)["economics"], "economics",
                                              test::source_catalog());
    REQUIRE(b);
    CHECK(b->electricity_usd_per_j == doctest::Approx(0.06 / 3.6e6));
    CHECK(b->amortization_s == doctest::Approx(4 * year_s));
    CHECK(b->omit_unknown_parts);
}


TEST_CASE("economics: a file's section applies to every case without its own; results carry the figures") {
    const auto sc = scenario::load_scenario_text(R"(format: 1
scenario: econ
economics: {electricity_price: "0.08 USD/kWh", pue: 1.3, amortization: "4 years"}
cases:
  - name: gb200
    system: gb200_nvl72
  - name: cm384
    system: cloudmatrix_384
    economics: {electricity_price: "0.06 USD/kWh", pue: 1.2, amortization: "5 years"}
  - name: h100
    chip: nvidia_h100_sxm
    count: 8
)", "econ.yaml", test::source_catalog());
    REQUIRE(sc.cases.size() == 3);
    REQUIRE(sc.cases[0].economics);
    CHECK(sc.cases[0].economics->pue == 1.3);
    REQUIRE(sc.cases[1].economics);
    CHECK(sc.cases[1].economics->pue == 1.2);
    CHECK(sc.cases[1].economics->electricity_usd_per_j == doctest::Approx(0.06 / 3.6e6));
    const auto r = run::run_scenario(sc);
    // GB200 NVL72: $3.1M and 145 kW all-in (the system's figures), as in docs/models/economics.md.
    const auto& gb = r.cases[0].economics->outcome;
    REQUIRE(gb.capex_usd);
    CHECK(*gb.capex_usd == doctest::Approx(3.1e6));
    REQUIRE(gb.facility_power_w);
    CHECK(*gb.facility_power_w == doctest::Approx(145e3 * 1.3));
    CHECK_FALSE(gb.training_energy_per_token_j);  // no job: no per-token figures
    const auto csv = output::results_csv({r});
    CHECK(csv.find(",1.3,126230400,145000,188500,3100000,") != std::string::npos);
}


TEST_CASE("economics: a silicon section prices the chip from its wafers and counts the wafers a cluster takes") {
    const auto sc = scenario::load_scenario_text(R"(format: 1
scenario: silicon
cases:
  - name: cm384
    system: cloudmatrix_384
    economics:
      electricity_price: "0.06 USD/kWh"
      pue: 1.3
      amortization: "4 years"
      silicon: {process: smic_n_plus_2, hbm: "1500 USD", packaging: "700 USD"}
  - name: cm384_bottom_up
    system: cloudmatrix_384
    economics:
      electricity_price: "0.06 USD/kWh"
      pue: 1.3
      amortization: "4 years"
      omit_unknown_parts: true
      silicon: {process: smic_n_plus_2, hbm: "1500 USD", packaging: "700 USD", price_chips: true}
)", "silicon.yaml", test::source_catalog());
    const auto r = run::run_scenario(sc);
    const auto& e = *r.cases[0].economics;
    REQUIRE(e.package);
    REQUIRE(e.package->package_usd);
    REQUIRE(e.package->dies_usd);
    CHECK(*e.package->package_usd == doctest::Approx(*e.package->dies_usd + 2200));
    // 384 NPUs of 2 compute dies each, over the good dies one wafer gives.
    REQUIRE(e.wafers_needed);
    CHECK(*e.wafers_needed == doctest::Approx(384.0 * 2 / *e.package->good_dies_per_wafer));
    CHECK(*e.outcome.capex_usd == doctest::Approx(8e6));  // the catalog's system price, unchanged
    // price_chips: capital bottom up from the package cost and the network's estimated price (its UB and
    // RDMA switches and LPO modules, models/network/); the hosts' price is unknown: left out.
    const auto& b = r.cases[1].economics->outcome;
    REQUIRE(b.capex_usd);
    REQUIRE(r.cases[1].aggregates.network_price);
    CHECK(r.cases[1].aggregates.network_price->si() == doctest::Approx(5824320.0));
    CHECK(*b.capex_usd == doctest::Approx(384 * *e.package->package_usd + r.cases[1].aggregates.network_price->si()));
    const auto csv = output::results_csv({r});
    CHECK(csv.find(output::csv_field(units::round_trip(*e.wafers_needed))) != std::string::npos);
}

TEST_CASE("economics: floor space in cabinets scales with the chip count, unknown without a system") {
    // CloudMatrix 384: 16 cabinets (12 compute + 4 network, Huawei WAIC 2025); resized to 96 NPUs, a quarter.
    const auto& cat = test::source_catalog();
    const auto& sys = cat.systems.at("cloudmatrix_384");
    CHECK(catalog::make_cluster(sys, cat.chips.at(sys.chip_id), std::nullopt, {}).cabinets == std::optional<double>(16.0));
    CHECK(catalog::make_cluster(sys, cat.chips.at(sys.chip_id), 96, {}).cabinets == std::optional<double>(4.0));
    CHECK_FALSE(catalog::make_cluster(cat.chips.at("ascend_910c"), 384, {}).cabinets.has_value());
}
