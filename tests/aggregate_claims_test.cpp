// The published headline figures, reproduced from per-chip catalog figures times chip counts
// (docs/models/aggregates.md has the same table with the errors). Each check cites its source.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "aggregate/aggregates.hpp"
#include "output/csv.hpp"
#include "test_support.hpp"

using namespace clustersim;
using catalog::Precision;

namespace {

aggregate::Aggregates system_aggregates(const std::string& id) {
    const auto& cat = test::source_catalog();
    const auto& sys = cat.systems.at(id);
    return aggregate::compute_aggregates(catalog::make_cluster(sys, cat.chips.at(sys.chip_id), std::nullopt, {}));
}

double peak(const aggregate::Aggregates& a, Precision p) {
    REQUIRE(a.peak(p).has_value());
    return a.peak(p)->si();
}

template <class Q>
double si(const std::optional<Q>& q) {
    REQUIRE(q.has_value());
    return q->si();
}

constexpr double tol = 0.03;  // the acceptance bound for every headline figure
constexpr double PF = 1e15;
constexpr double TiB = 1099511627776.0;

}  // namespace

TEST_CASE("aggregate: CloudMatrix 384 vs GB200 NVL72 (SemiAnalysis 2025-04-16 [S14], Huawei WAIC 2025 [S17])") {
    const auto cm = system_aggregates("cloudmatrix_384");
    const auto nv = system_aggregates("gb200_nvl72");
    // 300 vs 180 PFLOP/s dense BF16 (1.7x); 384 x 780 TFLOPS, the SemiAnalysis basis pinned by the system file.
    CHECK(test::within(peak(cm, Precision::bf16), 300 * PF, tol));
    CHECK(test::within(peak(nv, Precision::bf16), 180 * PF, tol));
    CHECK(test::within(peak(cm, Precision::bf16) / peak(nv, Precision::bf16), 1.7, tol));
    // HBM capacity 49.2 vs 13.8 TB (3.6x) and bandwidth 1,229 vs 576 TB/s (2.1x).
    CHECK(test::within(si(cm.hbm_capacity) / si(nv.hbm_capacity), 3.6, tol));
    CHECK(test::within(si(cm.hbm_bandwidth), 1229e12, tol));
    CHECK(test::within(si(nv.hbm_bandwidth), 576e12, tol));
    CHECK(test::within(si(cm.hbm_bandwidth) / si(nv.hbm_bandwidth), 2.1, tol));
    // All-in power 559 vs 145 kW (3.9x): the systems' all-in figures.
    CHECK(si(cm.power_all_in) == doctest::Approx(559e3));
    CHECK(si(nv.power_all_in) == doctest::Approx(145e3));
    CHECK(test::within(si(cm.power_all_in) / si(nv.power_all_in), 3.9, tol));
    // Scale-up 2.1x and scale-out 5.3x aggregate [S14]; UB 269 TB/s vs NVLink 130 TB/s (+107%) [S17].
    CHECK(test::within(si(cm.scale_up_total_both_ways) / si(nv.scale_up_total_both_ways), 2.1, tol));
    CHECK(test::within(si(cm.scale_out_total_both_ways) / si(nv.scale_out_total_both_ways), 5.3, tol));
    CHECK(test::within(si(cm.scale_up_total_both_ways), 269e12, tol));
    CHECK(test::within(si(nv.scale_up_total_both_ways), 130e12, tol));
}

TEST_CASE("aggregate: Atlas 950 SuperPoD peaks (HUAWEI CONNECT 2025 via Gizmochina [S08], Mezha [S07])") {
    const auto a = system_aggregates("atlas_950_superpod");
    CHECK(a.chip_count == 8192);
    CHECK(test::within(peak(a, Precision::fp8), 8000 * PF, tol));    // 8 EFLOP/s FP8
    CHECK(test::within(peak(a, Precision::fp4), 16000 * PF, tol));   // 16 EFLOP/s FP4
    CHECK(si(a.hbm_capacity) / TiB == doctest::Approx(1152.0));      // "1,152 TB" = 8,192 x 144 GiB, binary
    CHECK(test::within(si(a.scale_up_total_both_ways), 16.3e15, tol));  // 16.3 PB/s interconnect
}

TEST_CASE("aggregate: Atlas 950 SuperPoD vs Vera Rubin NVL144 (Mezha [S07]; NVIDIA GTC 2025 [S28])") {
    const auto a = system_aggregates("atlas_950_superpod");
    const auto r = system_aggregates("vera_rubin_nvl144");
    CHECK(test::within(peak(r, Precision::fp8), 1200 * PF, tol));  // NVIDIA's 1.2 EF FP8
    CHECK(test::within(peak(a, Precision::fp8) / peak(r, Precision::fp8), 6.7, tol));  // 6.7x compute
    CHECK(test::within(si(a.scale_up_total_both_ways) / si(r.scale_up_total_both_ways), 62.0, tol));  // 62x
    CHECK(test::within(si(r.scale_up_total_both_ways), 260e12, tol));  // NVLink 6: 260 TB/s
    // "15x memory" counts NVIDIA's 75 TB "fast memory", 54 TB of it Vera LPDDR5X: HBM alone is ~56x.
    const double hbm_ratio = si(a.hbm_capacity) / si(r.hbm_capacity);
    const double fast_ratio = si(a.hbm_capacity) / si(r.fast_memory);
    CHECK(hbm_ratio > 50.0);
    CHECK(fast_ratio < 20.0);
    CHECK(test::within(si(r.fast_memory), 75e12, 0.03));
}

TEST_CASE("aggregate: Atlas 950 and 960 SuperClusters (Tom's Hardware [S09], Taking Stock [S13], Notebookcheck [S10])") {
    const auto a950 = system_aggregates("atlas_950_supercluster");
    const auto a960 = system_aggregates("atlas_960_supercluster");
    const auto colossus = system_aggregates("xai_colossus_hopper_200k");
    CHECK(a950.chip_count == 524288);
    CHECK(test::within(peak(a950, Precision::fp8), 524000 * PF, tol));  // 524 EFLOP/s FP8
    CHECK(a960.chip_count >= 1000000);
    CHECK(test::within(peak(a960, Precision::fp8), 2e21, tol));  // ~2 ZFLOP/s FP8
    CHECK(test::within(peak(a960, Precision::fp4), 4e21, tol));  // ~4 ZFLOP/s FP4
    // "1.3x the compute of xAI Colossus" (dense FP8, 200,000 Hopper GPUs at 1.979 PF).
    CHECK(test::within(peak(a950, Precision::fp8) / peak(colossus, Precision::fp8), 1.3, tol));
}

TEST_CASE("aggregate: Atlas 960 SuperPoD (Gizmochina [S08]); Huawei rounds 30.98 EF down to 30") {
    const auto a = system_aggregates("atlas_960_superpod");
    CHECK(test::within(si(a.scale_up_total_both_ways), 34e15, tol));  // 34 PB/s
    CHECK(test::within(peak(a, Precision::fp8), 30000 * PF, 0.035));   // 15,488 x 2 PF = 30.98 EF: +3.3%
}

TEST_CASE("aggregate: unknown figures stay unknown, never zero") {
    const auto a = system_aggregates("atlas_950_superpod");
    CHECK_FALSE(a.power_all_in.has_value());   // not published
    CHECK_FALSE(a.chip_power_total.has_value());  // 950DT TDP not published
    CHECK_FALSE(a.fast_memory.has_value());    // host memory not published
    CHECK_FALSE(aggregate::ratio(std::nullopt, 1.0).has_value());
    CHECK_FALSE(aggregate::ratio(1.0, 0.0).has_value());
}

TEST_CASE("aggregate: a resized system scales all-in power per chip and caps the scale-up domain") {
    const auto& cat = test::source_catalog();
    const auto& sys = cat.systems.at("cloudmatrix_384");
    const auto half = catalog::make_cluster(sys, cat.chips.at(sys.chip_id), 192, {});
    REQUIRE(half.power_all_in.known());
    CHECK(half.power_all_in.value->si() == doctest::Approx(559e3 / 2));
    CHECK(half.power_all_in.provenance.confidence == catalog::Confidence::derived);
    CHECK(*half.scale_up_domain.value == 192);
    const auto agg = aggregate::compute_aggregates(half);
    CHECK(agg.peak(Precision::bf16)->si() == doctest::Approx(192 * 780e12));
}

TEST_CASE("aggregate: peak aggregates are linear in the chip count, also past 2^31 chips") {
    const auto& chip = test::source_catalog().chips.at("nvidia_h100_sxm");
    const auto one = aggregate::compute_aggregates(catalog::make_cluster(chip, 1, {}));
    const std::int64_t n = 3'000'000'000;
    const auto big = aggregate::compute_aggregates(catalog::make_cluster(chip, n, {}));
    CHECK(big.chip_count == n);
    CHECK(big.hbm_capacity->si() == doctest::Approx(one.hbm_capacity->si() * 3e9));
    CHECK(big.scale_up_total_both_ways->si() == doctest::Approx(2 * 3e9 * 450e9));
}

// ---------------------------------------------------------------- network power and price

namespace {

// Test parts, not product figures.
std::shared_ptr<const catalog::SwitchSpec> test_switch(const std::string& id, std::optional<double> watts,
                                                      std::optional<double> usd) {
    catalog::SwitchSpec s;
    s.id = id;
    if (watts) s.power.value = units::Watts(*watts);
    if (usd) s.price.value = units::Usd(*usd);
    return std::make_shared<const catalog::SwitchSpec>(std::move(s));
}

std::shared_ptr<const catalog::TransceiverSpec> test_module(std::optional<double> watts, std::optional<double> usd) {
    catalog::TransceiverSpec t;
    t.id = "module";
    if (watts) t.power.value = units::Watts(*watts);
    if (usd) t.price.value = units::Usd(*usd);
    return std::make_shared<const catalog::TransceiverSpec>(std::move(t));
}

// A 2-tier Clos of 8 accelerators on 4-port switches, every link optical with a module at each end.
catalog::TopologySpec small_clos() {
    catalog::TopologySpec spec;
    spec.builder = "fat_tree";
    const auto link = topo::optical(units::BytesPerSecond(50e9));
    topo::FatTreeParams p;
    p.accelerators = 8;
    p.network.tiers = {{"leaf", 4, 1.0, link}, {"spine", 4, 1.0, link}};
    spec.params = p;
    return spec;
}

catalog::Cluster cluster_on(const catalog::TopologySpec& spec) {
    auto c = catalog::make_cluster(test::source_catalog().chips.at("nvidia_h100_sxm"), 8, {});
    c.topology = std::make_shared<const catalog::TopologySpec>(spec);
    return c;
}

std::optional<double> metric(const aggregate::Aggregates& a, std::string_view key) {
    std::optional<double> out;
    aggregate::for_each_metric(a, [&](const aggregate::MetricInfo& m, std::optional<double> v) {
        if (m.key == key) out = v;
    });
    return out;
}

}  // namespace

TEST_CASE("aggregate: network power and price = switches x their part + transceivers x theirs (hand-worked)") {
    auto spec = small_clos();
    // The counts the arithmetic below uses: 8 / 2 = 4 leaves (2 ports down, 2 up), 4 x 2 / 4 = 2 spines,
    // 8 + 8 = 16 optical links, 32 modules.
    const auto m = topo::analyze(spec.params);
    REQUIRE(m.switch_counts.size() == 2);
    CHECK(m.switch_counts[0].count == 4);
    CHECK(m.switch_counts[1].count == 2);
    CHECK(m.transceivers == 32);
    spec.parts.switches["leaf"] = test_switch("leaf_part", 100, 1000);
    spec.parts.switches["spine"] = test_switch("spine_part", 200, 3000);
    spec.parts.transceiver = test_module(5, 50);
    const auto a = aggregate::compute_aggregates(cluster_on(spec));
    // power = 4 x 100 W + 2 x 200 W + 32 x 5 W = 960 W; price = 4 x 1000 + 2 x 3000 + 32 x 50 = 11600 USD
    CHECK(si(a.network_power) == 960.0);
    CHECK(si(a.network_price) == 11600.0);
    CHECK(si(a.network_power_per_chip) == 120.0);
    CHECK(si(a.network_price_per_chip) == 1450.0);
    CHECK(metric(a, "network_power") == 960.0);
    CHECK(metric(a, "network_price_per_chip") == 1450.0);
}

TEST_CASE("aggregate: a network figure with any unknown part figure is unknown, an empty cell, never zero") {
    auto spec = small_clos();
    spec.parts.switches["leaf"] = test_switch("leaf_part", 100, 1000);
    spec.parts.switches["spine"] = test_switch("spine_part", 200, std::nullopt);  // price unknown
    spec.parts.transceiver = test_module(5, 50);
    const auto priced = aggregate::compute_aggregates(cluster_on(spec));
    CHECK(si(priced.network_power) == 960.0);
    CHECK_FALSE(priced.network_price.has_value());
    CHECK_FALSE(priced.network_price_per_chip.has_value());

    spec.parts.transceiver = nullptr;  // no module named: power unknown too
    const auto none = aggregate::compute_aggregates(cluster_on(spec));
    CHECK_FALSE(none.network_power.has_value());
    CHECK_FALSE(none.network_power_per_chip.has_value());

    // In results.csv: the unknown cells are empty, the known ones numbers.
    run::RunResult r;
    r.scenario = "s";
    r.cases.push_back({"s", "priced", "", "", "", std::nullopt, "", "nvidia_h100_sxm", "fat_tree", std::nullopt, priced, std::nullopt, std::nullopt, std::nullopt, std::nullopt});
    r.cases.push_back({"s", "none", "", "", "", std::nullopt, "", "nvidia_h100_sxm", "fat_tree", std::nullopt, none, std::nullopt, std::nullopt, std::nullopt, std::nullopt});
    const std::string csv = output::results_csv({r});
    const auto cols = output::results_columns();
    const auto column = [&](std::string_view name) {
        return static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
    };
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(csv);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> cells;
        std::string cell;
        std::istringstream fields(line);
        while (std::getline(fields, cell, ',')) cells.push_back(cell);
        if (!line.empty() && line.back() == ',') cells.emplace_back();
        rows.push_back(cells);
    }
    REQUIRE(rows.size() == 3);
    REQUIRE(rows[1].size() == cols.size());
    CHECK(rows[1][column("network_power_w")] == "960");
    CHECK(rows[1][column("network_price_usd")].empty());
    CHECK(rows[1][column("network_power_per_chip_w")] == "120");
    CHECK(rows[2][column("network_power_w")].empty());
    CHECK(rows[2][column("network_price_per_chip_usd")].empty());

    // A system whose tiers name no part has switches and modules but no network power or price.
    const auto& cat = test::source_catalog();
    const auto& sys = cat.systems.at("meta_h100_roce_24k");
    const auto meta = aggregate::compute_aggregates(catalog::make_cluster(sys, cat.chips.at(sys.chip_id), std::nullopt, {}));
    REQUIRE(meta.switches.has_value());
    CHECK(*meta.switches > 0);
    CHECK_FALSE(meta.network_power.has_value());  // its RoCE chassis switches have no part
    CHECK_FALSE(meta.network_price.has_value());
}

TEST_CASE("aggregate: a preset's parts become cost inputs; a tier without a part keeps the total unknown") {
    // gb200_nvl72: Quantum-2 switches at 747 W and 400G modules at 9 W (NVIDIA datasheets); the NVSwitch
    // chip's 529 W and every price are estimates (docs/research/network-part-estimates.md).
    const auto& spec = *test::source_catalog().systems.at("gb200_nvl72").topology;
    const auto in = aggregate::cost_inputs(spec.parts);
    REQUIRE(in.switches.at("ib_leaf").power.has_value());
    CHECK(in.switches.at("ib_leaf").power->si() == 747.0);
    CHECK(in.switches.at("ib_spine").power->si() == 747.0);
    CHECK(in.switches.at("nvswitch").power->si() == 529.0);
    CHECK(in.transceiver_power->si() == 9.0);
    CHECK(*in.transceiver_price == 625.0);
    const auto cost = topo::network_cost(topo::analyze(spec.params), in);
    // 18 NVSwitch chips, 3 leaves and 2 spines (the 3 leaves' 96 up-links need 2 spines of 64 ports), 336 modules.
    CHECK(cost.power->si() == doctest::Approx(18 * 529.0 + 5 * 747.0 + 336 * 9.0));
    CHECK(*cost.price == doctest::Approx(18 * 15188.0 + 5 * 13500.0 + 336 * 625.0));
    CHECK(cost.missing.empty());
    CHECK(system_aggregates("gb200_nvl72").network_power->si() == doctest::Approx(16281.0));
    // meta_h100_roce_24k names a part for its NVSwitch chips only: each unnamed tier keeps the total unknown.
    const auto& meta = *test::source_catalog().systems.at("meta_h100_roce_24k").topology;
    const auto unknown = topo::network_cost(topo::analyze(meta.params), aggregate::cost_inputs(meta.parts));
    CHECK_FALSE(unknown.power.has_value());
    CHECK(unknown.missing == std::vector<std::string>{"switch 'rtsw' power", "switch 'rtsw' price", "switch 'ctsw' power",
                                                      "switch 'ctsw' price", "switch 'atsw' power", "switch 'atsw' price",
                                                      "transceiver power", "transceiver price"});
}
