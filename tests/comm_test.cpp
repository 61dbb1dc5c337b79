// Collective layer (docs/models/comm.md): closed forms of every algorithm on ideal topologies
// (Thakur, Rabenseifner & Gropp 2005; Patarasuk & Yuan 2009; NCCL), contention (an oversubscribed
// fat-tree, rail-optimised placement), monotonicity and the all-reduce bandwidth lower bound,
// the folded (symmetry) loads against every flow routed on the graph, the bottleneck
// approximation against max-min fair sharing, degenerate inputs, the registry, the sweep, and the
// validation figures of docs/models/comm.md.
#include <doctest/doctest.h>

#include <map>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "comm/error.hpp"
#include "comm/group_shape.hpp"
#include "comm/model.hpp"
#include "test_support.hpp"
#include "topo/examples.hpp"
#include "topo/topology.hpp"

using namespace clustersim;
using namespace clustersim::comm;
using topo::LinkSpec;
using units::Bytes;
using units::BytesPerSecond;
using units::Seconds;

namespace {

LinkSpec el(double bw, double latency = 0) { return topo::electrical(BytesPerSecond(bw), Seconds(latency)); }

/// alpha per step on every level, full line rate.
CostModel alpha_cost(std::size_t levels, double alpha) {
    CostModel c;
    for (std::size_t i = 0; i < levels; ++i) c.levels.push_back({Seconds(alpha), Seconds(0), 1.0, {}, "test", 0, {}, {}});
    return c;
}

CollectiveSpec spec(Collective k, double bytes) { return CollectiveSpec{k, Bytes(bytes), 0, {}}; }

RunOptions algo(const std::string& name) {
    RunOptions o;
    o.algorithm = name;
    return o;
}

topo::ClosNetwork clos(std::vector<topo::ClosTier> tiers, std::int64_t planes = 1, std::int64_t links = 1,
                       std::int64_t rails = 1) {
    return topo::ClosNetwork{std::move(tiers), planes, links, rails};
}


/// Every pattern of every applicable algorithm for every collective on this placement.
std::vector<Pattern> all_patterns(const Fabric& f, const Placement& pl) {
    const GroupShape shape = describe_groups(f, pl);
    const AlgorithmRegistry reg = builtin_algorithms();
    std::vector<Pattern> out;
    const std::int64_t p = pl.group_size();
    for (const Collective k : all_collectives()) {
        CollectiveSpec s = spec(k, 1e6);
        for (int uneven = 0; uneven < (k == Collective::all_to_all ? 2 : 1); ++uneven) {
            if (uneven) {
                s.uneven.assign(static_cast<std::size_t>(p * p), 1.0);
                for (std::int64_t i = 0; i < p; ++i) s.uneven[static_cast<std::size_t>(i * p + (i + 1) % p)] = 5.0;
            }
            const AlgorithmContext ctx{f, pl, shape, s};
            for (const auto& e : reg.entries()) {
                if (!e.supports(k)) continue;
                const auto b = e.build(ctx);
                if (!b.schedule) continue;
                for (const auto& st : b.schedule->stages)
                    if (std::find(out.begin(), out.end(), st.pattern) == out.end()) out.push_back(st.pattern);
            }
        }
    }
    return out;
}

void check_same_loads(const Fabric& f, const Placement& pl, const Pattern& pattern, const std::string& label) {
    INFO(label << " / " << describe(pattern));
    const bool meshes = std::any_of(f.levels().begin(), f.levels().end(),
                                    [](const LevelView& l) { return l.kind == LevelKind::full_mesh; });
    std::vector<MeshRouting> routings{MeshRouting::adaptive};
    if (meshes) routings = {MeshRouting::shortest, MeshRouting::all_path, MeshRouting::adaptive};
    for (const MeshRouting mr : routings) {
        INFO("mesh routing " << to_string(mr));
        LoadOptions o;
        o.mesh_routing = mr;
        const StageLoads a = folded_loads(f, pl, pattern, o);
        const StageLoads b = explicit_loads(f, pl, pattern, o);
        REQUIRE(a.class_max.size() == b.class_max.size());
        for (std::size_t c = 0; c < a.class_max.size(); ++c) {
            INFO("class " << f.class_label(c));
            CHECK(a.class_max[c] == doctest::Approx(b.class_max[c]).epsilon(1e-9));
        }
        CHECK(a.level_hops == b.level_hops);
        CHECK(a.seconds_per_unit == doctest::Approx(b.seconds_per_unit).epsilon(1e-9));
        CHECK(a.mesh_routing == b.mesh_routing);
    }
}

/// Small topologies of every kind, for the folded-vs-explicit and property tests.
struct Case {
    std::string name;
    std::function<topo::TopologyParams(double bw)> params;
};

std::vector<Case> small_cases() {
    return {
        {"single switch, 2 links each", [](double bw) { return topo::SingleSwitchParams{8, 16, el(bw), 2}; }},
        {"ring 6", [](double bw) { return topo::RingParams{6, el(bw)}; }},
        {"torus 3x4", [](double bw) { return topo::TorusParams{{3, 4}, el(bw)}; }},
        {"torus 2x2x4", [](double bw) { return topo::TorusParams{{2, 2, 4}, el(bw)}; }},
        {"full mesh 5", [](double bw) { return topo::FullMeshParams{5, el(bw)}; }},
        {"ub-mesh 4x2x2 + spares, 2 pods, HRS",
         [](double bw) {
             topo::UbMeshParams u;
             u.dims = {{4, el(bw)}, {2, el(bw / 2)}, {2, el(bw / 4)}};
             u.rack_dims = 2;
             u.spares_per_rack = 1;
             u.spare_link = el(bw);
             u.pods = 2;
             u.hrs = clos({{"hrs_leaf", 8, 1.0, el(bw / 4)}, {"hrs_spine", 8, 1.0, el(bw / 4)}});
             return u;
         }},
        {"fat-tree 2 tiers, 2 planes, 2 links, 3:1",
         [](double bw) {
             return topo::FatTreeParams{24, clos({{"leaf", 8, 3.0, el(bw)}, {"spine", 8, 1.0, el(bw)}}, 2, 2)};
         }},
        {"fat-tree 3 tiers 2:1, partial",
         [](double bw) {
             return topo::FatTreeParams{
                 40, clos({{"edge", 6, 2.0, el(bw)}, {"agg", 6, 2.0, el(bw)}, {"core", 6, 1.0, el(bw)}})};
         }},
        {"fat-tree rail-optimised 4 rails",
         [](double bw) {
             return topo::FatTreeParams{32, clos({{"leaf", 8, 1.0, el(bw)}, {"spine", 8, 1.0, el(bw)}}, 1, 1, 4)};
         }},
        {"dragonfly p2 a4 h2 g5",
         [](double bw) {
             return topo::DragonflyParams{topo::DragonflyNetwork{2, 4, 2, 5, el(bw), el(bw), el(bw / 2), "router"}};
         }},
        {"scale-up 8 (1-tier, 2 planes) x 4 + 2-tier scale-out",
         [](double bw) {
             topo::ScaleUpScaleOutParams p;
             p.domains = 4;
             p.domain_size = 8;
             p.scale_up = clos({{"nvswitch", 8, 1.0, el(bw)}}, 2, 1);
             p.scale_out = clos({{"ib_leaf", 8, 1.0, el(bw / 8)}, {"ib_spine", 8, 1.0, el(bw / 8)}});
             return p;
         }},
        {"supercluster: 2 SuperPoDs of 2 UB-Mesh pods + 2-tier UBoE",
         [](double bw) {
             topo::SuperClusterParams s;
             s.superpods = 2;
             s.superpod.dims = {{2, el(bw)}, {2, el(bw)}, {2, el(bw / 2)}};
             s.superpod.rack_dims = 1;
             s.superpod.pods = 2;
             s.superpod.hrs = clos({{"hrs_leaf", 8, 1.0, el(bw / 4)}, {"hrs_spine", 8, 1.0, el(bw / 4)}});
             s.scale_out = clos({{"uboe_leaf", 8, 1.0, el(bw / 8)}, {"uboe_spine", 8, 1.0, el(bw / 8)}});
             return s;
         }},
    };
}

/// Placements on n accelerators: one group, contiguous blocks, strided blocks, shuffled groups.
std::vector<std::pair<std::string, Placement>> placements(std::int64_t n) {
    std::vector<std::pair<std::string, Placement>> out;
    out.emplace_back("one group", Placement::contiguous(n, 1));
    for (const std::int64_t p : {2, 4, 8})
        if (n % p == 0 && p < n) {
            out.emplace_back("contiguous " + std::to_string(p), Placement::tiled(n, p, 1));
            if ((n / p) % 2 == 0) out.emplace_back("stride 2, groups of " + std::to_string(p), Placement::tiled(n, p, 2));
            if (n / p > 2)
                out.emplace_back("stride " + std::to_string(n / p), Placement::tiled(n, p, n / p));
        }
    // Shuffled, fewer groups than fit (some accelerators idle).
    std::vector<topo::NodeId> order;
    for (std::int64_t i = 0; i < n; ++i) order.push_back(static_cast<topo::NodeId>(i));
    std::uint64_t seed = 99;
    for (std::size_t i = order.size(); i > 1; --i) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        std::swap(order[i - 1], order[(seed >> 33) % i]);
    }
    const std::int64_t p = n >= 6 ? 3 : 2;
    std::vector<std::vector<topo::NodeId>> groups;
    for (std::int64_t g = 0; g + 1 < n / p; ++g)
        groups.emplace_back(order.begin() + g * p, order.begin() + (g + 1) * p);
    out.emplace_back("shuffled groups of " + std::to_string(p), Placement::explicit_groups(groups));
    return out;
}

/// Every Clos level reduces in its switches (SHARP style on odd levels, NVLS style on even ones).
CostModel in_network_everywhere(std::size_t levels) {
    CostModel c = alpha_cost(levels, 1e-6);
    for (std::size_t i = 0; i < levels; ++i) c.levels[i].in_network = InNetworkReduction{0.9, i % 2 == 0, "test"};
    return c;
}

}  // namespace

// ------------------------------------------------------------------ closed forms, ideal networks

TEST_CASE("comm: ring all-reduce on one switch = 2(p-1)a + 2(p-1)/p n/B (Patarasuk & Yuan 2009)") {
    const double B = 100e9, a = 2e-6;
    for (const std::int64_t p : {2, 3, 5, 8, 16}) {
        const auto t = topo::build(topo::SingleSwitchParams{p, 32, el(B), 1});
        const CommModel m(t, alpha_cost(1, a));
        for (const double n : {0.0, 1e3, 1e6, 1e9}) {
            const auto r = m.run(Placement::contiguous(p, 1), spec(Collective::all_reduce, n), algo("ring"));
            const double pd = static_cast<double>(p);
            const double want = 2 * (pd - 1) * a + 2 * (pd - 1) / pd * n / B;
            CHECK(r.time.si() == doctest::Approx(want).epsilon(1e-12));
            CHECK(r.latency.si() == doctest::Approx(2 * (pd - 1) * a).epsilon(1e-12));
            if (n > 0) CHECK(r.busbw.si() == doctest::Approx(n / r.time.si() * 2 * (pd - 1) / pd).epsilon(1e-12));
        }
    }
}

TEST_CASE("comm: protocols: the tuner weighs LL and LL128 with the default; each where every crossed level runs it") {
    // Ring all-reduce on one switch under a protocol P: launch_P + 2(p-1) alpha_P + 2(p-1)/p n / (B f_P).
    const double B = 100e9, a = 3.4e-6, p = 8;
    const auto t = topo::build(topo::SingleSwitchParams{8, 32, el(B), 1});
    CostModel c = alpha_cost(1, a);
    c.launch_latency = Seconds(8.4e-6);
    c.protocols = presets::nccl_protocols();
    c.levels[0].protocols = presets::nccl_nvlink_protocols();
    const CommModel m(t, c);
    auto ring_time = [&](double launch, double alpha, double factor, double n) {
        return launch + 2 * (p - 1) * alpha + 2 * (p - 1) / p * n / (B * factor);
    };
    for (const double n : {8.0, 1e3, 1e5, 1e6, 1e7, 1e9}) {
        const auto r = m.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, n), algo("ring"));
        const double simple = ring_time(8.4e-6, a, 1.0, n), ll = ring_time(6.6e-6, 0.6e-6, 0.5, n),
                     ll128 = ring_time(14e-6, 1.9e-6, 0.92, n);
        const double best = std::min({simple, ll, ll128});
        CHECK(r.time.si() == doctest::Approx(best).epsilon(1e-12));
        CHECK(r.algorithm == (best == ll ? "ring/LL" : best == ll128 ? "ring/LL128" : "ring"));
        REQUIRE(r.candidates.size() == 3);  // forcing the algorithm leaves the protocol to the tuner
        // The cost curve's preferred line for "ring" is the same choice, at the same time.
        const auto curve = m.curve(Placement::contiguous(8, 1), Collective::all_reduce);
        const auto* line = curve.preferred("ring", n);
        REQUIRE(line != nullptr);
        CHECK(line->algorithm == r.algorithm);
        CHECK(line->base == "ring");
        CHECK(line->latency_s + n * line->seconds_per_byte == doctest::Approx(best).epsilon(1e-12));
    }
    // LL at 8 B, Simple at 1 GB: the crossing sizes are where the lines meet.
    CHECK(m.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, 8), algo("ring")).algorithm == "ring/LL");
    CHECK(m.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, 1e9), algo("ring")).algorithm == "ring");
    // Algorithms that do not run under protocols never get them (recursive halving-doubling, direct).
    const auto rhd = m.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, 8), algo("recursive_halving_doubling"));
    CHECK(rhd.algorithm == "recursive_halving_doubling");
    CHECK(rhd.candidates.size() == 1);
    // A level without the protocol (its library has only the default one) rules it out.
    CostModel no_ll = c;
    no_ll.levels[0].protocols.clear();
    const auto plain = CommModel(t, no_ll).run(Placement::contiguous(8, 1), spec(Collective::all_reduce, 8), algo("ring"));
    CHECK(plain.algorithm == "ring");
    CHECK(plain.candidates.size() == 1);
    // Invalid protocol figures are named.
    CostModel bad = c;
    bad.levels[0].protocols[0].bandwidth_factor = 1.5;
    bad.protocols.push_back(bad.protocols[0]);
    const auto problems = bad.problems();
    CHECK(std::find(problems.begin(), problems.end(), "levels[0].protocols[0].bandwidth_factor must be in (0, 1]") != problems.end());
    CHECK(std::find(problems.begin(), problems.end(), "protocols[4].name 'LL' is listed twice for the ring kernels") !=
          problems.end());
    // The tree kernels run their own figures (NCCL's tree refinements): LL at 1/3.8 of Simple's bandwidth,
    // LL128 at 7/9 on NVLink, so the bandwidth part of the tree's candidates grows 3.8x and 9/7x as fast.
    auto tree_times = [&](double n) {
        std::map<std::string, double> out;
        for (const auto& [name, time] : m.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, n), algo("double_binary_tree")).candidates)
            out[name] = time.si();
        return out;
    };
    const auto t1 = tree_times(1e6), t2 = tree_times(1e8);
    REQUIRE(t1.size() == 3);
    auto slope = [&](const std::string& name) { return t2.at(name) - t1.at(name); };
    CHECK(slope("double_binary_tree/LL") / slope("double_binary_tree") == doctest::Approx(3.8).epsilon(1e-9));
    CHECK(slope("double_binary_tree/LL128") / slope("double_binary_tree") == doctest::Approx(9.0 / 7.0).epsilon(1e-9));
}

TEST_CASE("comm: closed forms of the other algorithms on one switch (Thakur, Rabenseifner & Gropp 2005)") {
    const double B = 50e9, a = 1e-6, n = 64e6;
    for (const std::int64_t p : {2, 4, 8, 16}) {
        const auto t = topo::build(topo::SingleSwitchParams{p, 32, el(B), 1});
        const CommModel m(t, alpha_cost(1, a));
        const Placement pl = Placement::contiguous(p, 1);
        const double pd = static_cast<double>(p), lg = std::log2(pd);
        INFO("p = " << p);
        auto time = [&](Collective k, const std::string& alg) { return m.run(pl, spec(k, n), algo(alg)).time.si(); };
        // Rabenseifner: 2 log2(p) a + 2 (p-1)/p n/B.
        CHECK(time(Collective::all_reduce, "recursive_halving_doubling") ==
              doctest::Approx(2 * lg * a + 2 * (pd - 1) / pd * n / B).epsilon(1e-12));
        // Ring reduce-scatter and all-gather: (p-1) a + (p-1)/p n/B.
        for (const Collective k : {Collective::reduce_scatter, Collective::all_gather}) {
            CHECK(time(k, "ring") == doctest::Approx((pd - 1) * a + (pd - 1) / pd * n / B).epsilon(1e-12));
            CHECK(time(k, "recursive_halving_doubling") ==
                  doctest::Approx(lg * a + (pd - 1) / pd * n / B).epsilon(1e-12));
            CHECK(time(k, "direct") == doctest::Approx((pd - 1) * a + (pd - 1) / pd * n / B).epsilon(1e-12));
        }
        // Direct (pairwise) all-to-all: (p-1) a + (p-1)/p n/B.
        CHECK(time(Collective::all_to_all, "direct") ==
              doctest::Approx((pd - 1) * a + (pd - 1) / pd * n / B).epsilon(1e-12));
        // Pipelined chain broadcast: (p-1) a + n/B; pipelined binary tree: depth a + (2 children) 2n/B.
        CHECK(time(Collective::broadcast, "chain") == doctest::Approx((pd - 1) * a + n / B).epsilon(1e-12));
        const double depth = std::floor(std::log2(pd));
        CHECK(time(Collective::broadcast, "binary_tree") ==
              doctest::Approx(depth * a + (p > 2 ? 2 : 1) * n / B).epsilon(1e-12));
        // Pipeline send to the next stage: a + n/B.
        CHECK(time(Collective::send_recv, "direct") == doctest::Approx(a + n / B).epsilon(1e-12));
        // NCCL double binary tree: every rank is inner (two children) in at most one tree, so it sends
        // n/2 up + 2 x n/2 down there and n/2 up as a leaf of the other: 2n/B (tuning.cc: tree
        // algbw = busbw / 2); latency 2 log2 p steps.
        CHECK(time(Collective::all_reduce, "double_binary_tree") ==
              doctest::Approx(2 * std::ceil(lg) * a + (p > 2 ? 2 : 1) * n / B).epsilon(1e-12));
    }
}

TEST_CASE("comm: hierarchical all-reduce = RS over p_in, all-reduce of n/p_in over p_out, AG over p_in") {
    const double b_in = 400e9, b_out = 50e9, a0 = 1e-6, a1 = 10e-6, n = 256e6;
    for (const std::int64_t m : {2, 4, 8})
        for (const std::int64_t d : {2, 3, 4}) {
            INFO("p_in " << m << ", p_out " << d);
            topo::ScaleUpScaleOutParams sp;
            sp.domains = d;
            sp.domain_size = m;
            sp.scale_up = clos({{"sw", 16, 1.0, el(b_in)}});
            sp.scale_out = clos({{"sw", 32, 1.0, el(b_out)}});
            const auto t = topo::build(sp);
            CostModel c = alpha_cost(2, a0);
            c.levels[1].step_latency = Seconds(a1);
            const CommModel model(t, c);
            const auto r = model.run(Placement::contiguous(m * d, 1), spec(Collective::all_reduce, n),
                                     algo("hierarchical"));
            const double pm = static_cast<double>(m), pd = static_cast<double>(d);
            const double want = 2 * (pm - 1) * a0 + 2 * (pm - 1) / pm * n / b_in + 2 * (pd - 1) * a1 +
                                2 * (pd - 1) / pd * (n / pm) / b_out;
            CHECK(r.time.si() == doctest::Approx(want).epsilon(1e-12));
            REQUIRE(r.stages.size() == 4);
            CHECK(r.stages[1].bottleneck == "scale_out/accelerator-sw");
            CHECK(r.stages[0].bottleneck == "scale_up/accelerator-sw");
            // The multi-ring (NCCL channels) spreads the domain crossings over every NIC: per step a
            // rank sends (p_in-1)/p_in of its chunk inside the domain and 1/p_in across.
            const auto ring = model.run(Placement::contiguous(m * d, 1), spec(Collective::all_reduce, n), algo("ring"));
            const double p = pm * pd;
            CHECK(ring.bandwidth.si() ==
                  doctest::Approx(2 * (p - 1) / p * n * std::max((pm - 1) / (pm * b_in), 1 / (pm * b_out)))
                      .epsilon(1e-12));
        }
}

TEST_CASE("comm: dimension-wise all-reduce on a 2-D full mesh and a 2-D torus") {
    const double a = 1e-6, n = 1e8;
    SUBCASE("full mesh k0 x k1: direct along each axis, (k-1) a + (n/k)/b per reduce-scatter") {
        const double b0 = 56e9, b1 = 28e9;
        topo::UbMeshParams u;
        u.dims = {{4, el(b0)}, {3, el(b1)}};
        u.rack_dims = 1;
        const auto t = topo::build(u);
        const CommModel m(t, alpha_cost(1, a));
        const auto r = m.run(Placement::contiguous(12, 1), spec(Collective::all_reduce, n), algo("dimension_wise"));
        const double want = 2 * (3 + 2) * a + 2 * (n / 4 / b0 + n / 12 / b1);
        CHECK(r.time.si() == doctest::Approx(want).epsilon(1e-12));
    }
    SUBCASE("torus k x k: both ways round each ring, (k-1) a + (k-1)/k d/(2b) per reduce-scatter") {
        const double b = 25e9;
        for (const std::int64_t k : {3, 4, 5}) {
            const auto t = topo::build(topo::TorusParams{{k, k}, el(b)});
            const CommModel m(t, alpha_cost(1, a));
            const auto r =
                m.run(Placement::contiguous(k * k, 1), spec(Collective::all_reduce, n), algo("dimension_wise"));
            const double kd = static_cast<double>(k);
            const double rs = (kd - 1) / kd * n / (2 * b) + (kd - 1) / kd * (n / kd) / (2 * b);
            CHECK(r.time.si() == doctest::Approx(4 * (kd - 1) * a + 2 * rs).epsilon(1e-12));
        }
    }
}

TEST_CASE("comm: in-network all-reduce sends n(1+1/p) each way with NVLS, n with SHARP") {
    const double B = 100e9, n = 1e9;
    for (const bool nvls : {true, false}) {
        const auto t = topo::build(topo::SingleSwitchParams{8, 16, el(B), 1});
        CostModel c = alpha_cost(1, 1e-6);
        c.levels[0].in_network = InNetworkReduction{0.85, nvls, "test"};
        const CommModel m(t, c);
        const auto r = m.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, n), algo("in_network"));
        const double per_rank = nvls ? n * (1 + 1.0 / 8) : n;
        CHECK(r.bandwidth.si() == doctest::Approx(per_rank / (B * 0.85)).epsilon(1e-12));
        CHECK(r.bottleneck_utilisation == doctest::Approx(0.85 * r.bandwidth.si() / r.time.si()).epsilon(1e-9));
    }
    // No in-network reduction configured: the algorithm says why it does not apply.
    const auto t = topo::build(topo::SingleSwitchParams{8, 16, el(B), 1});
    const CommModel m(t);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, n), algo("in_network")),
                         doctest::Contains("has no in-network reduction"), NotApplicable);
}

// ------------------------------------------------------------------------------- contention

TEST_CASE("comm: contention: on a fat-tree oversubscribed 3:1 above the pods, cross-pod all-reduce is 3x slower") {
    // 3 tiers: leaves 4 down / 4 up, aggregation 6 down / 2 up (3:1), 4 pods of 24 accelerators.
    const auto t = topo::build(topo::FatTreeParams{
        96, clos({{"edge", 8, 1.0, el(50e9)}, {"agg", 8, 3.0, el(50e9)}, {"core", 8, 1.0, el(50e9)}})});
    const CommModel m(t, alpha_cost(1, 5e-6));
    const double n = 1e9;
    // Every all-reduce at once: 24 groups of 4, each inside one pod (on one leaf) versus each
    // spread over the 4 pods (stride 24: every ring edge, every partner, crosses pods).
    const Placement inside = Placement::contiguous(4, 24);
    const Placement across = Placement::strided(4, 24, 24);
    for (const std::string alg : {"", "ring", "recursive_halving_doubling", "double_binary_tree"}) {
        INFO("algorithm " << (alg.empty() ? "tuner" : alg));
        const auto a = m.run(inside, spec(Collective::all_reduce, n), algo(alg));
        const auto b = m.run(across, spec(Collective::all_reduce, n), algo(alg));
        CHECK(b.time.si() / a.time.si() == doctest::Approx(3.0).epsilon(0.01));
        CHECK(b.bottleneck == "fat_tree/agg-core");
        CHECK(a.bottleneck != "fat_tree/agg-core");
    }
}

TEST_CASE("comm: contention: rail-optimised placement beats the naive one on a rail-optimised fat-tree") {
    // 8 rails, servers of 8; the rail leaves are 2:1 oversubscribed (8 down, 4 up).
    const auto t = topo::build(
        topo::FatTreeParams{64, clos({{"rail", 12, 2.0, el(50e9)}, {"spine", 8, 1.0, el(50e9)}}, 1, 1, 8)});
    const CommModel m(t, alpha_cost(1, 5e-6));
    // Data-parallel groups of 8, one rank per server. Rail-aligned: rank s of group g on server s,
    // position g (all on rail g). Naive: position (g + s) mod 8 (a different rail per rank).
    std::vector<std::vector<topo::NodeId>> naive(8);
    for (std::int64_t g = 0; g < 8; ++g)
        for (std::int64_t s = 0; s < 8; ++s) naive[static_cast<std::size_t>(g)].push_back(static_cast<topo::NodeId>(8 * s + (g + s) % 8));
    const Placement rail = Placement::strided(8, 8, 8);
    for (const double n : {1e3, 1e6, 1e9}) {
        INFO("bytes " << n);
        const auto a = m.run(rail, spec(Collective::all_reduce, n));
        const auto b = m.run(Placement::explicit_groups(naive), spec(Collective::all_reduce, n));
        CHECK(a.time.si() < b.time.si());
        if (n == 1e9) {
            CHECK(b.bandwidth.si() / a.bandwidth.si() == doctest::Approx(2.0).epsilon(1e-9));
            CHECK(a.bottleneck == "fat_tree/accelerator-rail");
            CHECK(b.bottleneck == "fat_tree/rail-spine");
        }
    }
}

TEST_CASE("comm: contention: concurrent groups share links; one group alone is faster") {
    const auto t = topo::build(
        topo::FatTreeParams{32, clos({{"leaf", 8, 3.0, el(50e9)}, {"spine", 8, 1.0, el(50e9)}})});
    const CommModel m(t);
    const double n = 1e9;
    const auto all = m.run(Placement::strided(4, 8, 8), spec(Collective::all_to_all, n));
    const auto one = m.run(Placement::strided(4, 8, 1), spec(Collective::all_to_all, n));
    CHECK(one.time.si() < all.time.si());
}

// --------------------------------------------------------------------------------- properties

TEST_CASE("comm: monotonicity: more bandwidth never slower, bigger messages never faster, all-reduce above "
          "2(p-1)/p n/B") {
    for (const auto& c : small_cases()) {
        const auto slow = topo::build(c.params(100e9));
        const auto fast = topo::build(c.params(200e9));
        const std::size_t levels = slow.levels().size();
        const CommModel ms(slow, alpha_cost(levels, 2e-6)), mf(fast, alpha_cost(levels, 2e-6));
        const auto n = static_cast<std::int64_t>(slow.accelerator_count());
        for (const auto& [pname, pl] : placements(n)) {
            for (const Collective k : all_collectives()) {
                if (pl.group_size() < 2 && k != Collective::all_reduce) continue;
                for (const auto& e : ms.algorithms().entries()) {
                    if (!e.supports(k)) continue;
                    INFO(c.name << " / " << pname << " / " << to_string(k) << " / " << e.name);
                    double last = -1;
                    for (const double bytes : {0.0, 1e2, 1e5, 1e8}) {
                        CollectiveResult a, b;
                        try {
                            a = ms.run(pl, spec(k, bytes), algo(e.name));
                            b = mf.run(pl, spec(k, bytes), algo(e.name));
                        } catch (const NotApplicable&) {
                            break;
                        }
                        CHECK(b.time.si() <= a.time.si() * (1 + 1e-12));
                        CHECK(a.time.si() >= last);
                        CHECK(std::isfinite(a.time.si()));
                        CHECK(std::isfinite(a.busbw.si()));
                        last = a.time.si();
                        if (k == Collective::all_reduce && e.name != "in_network") {
                            const double pd = static_cast<double>(pl.group_size());
                            const double bound = 2 * (pd - 1) / pd * bytes / ms.fabric().injection_Bps();
                            CHECK(a.time.si() >= bound * (1 - 1e-12));
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("comm: folded loads equal the explicit flow-by-flow loads on small instances") {
    for (const auto& c : small_cases()) {
        const auto t = topo::build(c.params(100e9));
        const Fabric f(t, in_network_everywhere(t.levels().size()));
        const auto n = static_cast<std::int64_t>(t.accelerator_count());
        for (const auto& [pname, pl] : placements(n)) {
            const auto patterns = all_patterns(f, pl);
            for (const auto& pattern : patterns) {
                const bool innet = std::holds_alternative<InNetworkFlows>(pattern);
                bool clos_top = true;
                if (innet) {
                    const GroupShape s = describe_groups(f, pl);
                    clos_top = f.levels()[static_cast<std::size_t>(s.top_level)].kind == LevelKind::clos;
                }
                if (!clos_top) continue;
                check_same_loads(f, pl, pattern, c.name + " / " + pname);
            }
        }
    }
}

TEST_CASE("comm: folding identical instances changes nothing (strided placement vs the same groups listed)") {
    // A strided placement is folded over its period; the same groups given explicitly are not.
    const auto t = topo::build(topo::cloudmatrix384(2));
    const Fabric f(t);
    for (const std::int64_t stride : {1, 8, 48}) {
        const Placement strided = Placement::tiled(768, 16, stride);
        std::vector<std::vector<topo::NodeId>> groups;
        for (std::int64_t g = 0; g < strided.group_count(); ++g) {
            groups.emplace_back();
            for (std::int64_t r = 0; r < 16; ++r) groups.back().push_back(strided.accelerator(g, r));
        }
        const Placement listed = Placement::explicit_groups(groups);
        for (const Pattern& p : {Pattern{RingFlows{flat(16), 1, false}}, Pattern{CompleteFlows{flat(16)}},
                                 Pattern{XorFlows{flat(16), 4}}}) {
            INFO("stride " << stride << " " << describe(p));
            const auto a = folded_loads(f, strided, p), b = folded_loads(f, listed, p);
            CHECK(a.class_max == b.class_max);
            CHECK(a.seconds_per_unit == b.seconds_per_unit);
        }
    }
}

TEST_CASE("comm: the bottleneck step time equals max-min fair sharing on symmetric steps and never exceeds it") {
    for (const auto& c : small_cases()) {
        const auto t = topo::build(c.params(100e9));
        const Fabric f(t);
        const auto n = static_cast<std::int64_t>(t.accelerator_count());
        for (const auto& [pname, pl] : placements(n)) {
            for (const auto& pattern : all_patterns(f, pl)) {
                if (std::holds_alternative<InNetworkFlows>(pattern)) continue;
                INFO(c.name << " / " << pname << " / " << describe(pattern));
                const StageLoads b = explicit_loads(f, pl, pattern);
                const StageLoads m = fair_loads(f, pl, pattern);
                CHECK(m.seconds_per_unit >= b.seconds_per_unit * (1 - 1e-9));
            }
        }
    }
    // Symmetric steps (every flow the same size, every link of the bottleneck class equally
    // loaded for the whole step): equal.
    struct Sym {
        topo::TopologyParams params;
        Pattern pattern;
        Placement placement;
    };
    const std::vector<Sym> symmetric{
        {topo::RingParams{8, el(1e9)}, RingFlows{flat(8), 1, false}, Placement::contiguous(8, 1)},
        {topo::TorusParams{{4, 4}, el(1e9)}, RingFlows{flat(16), 1, true}, Placement::contiguous(16, 1)},
        {topo::FatTreeParams{16, clos({{"leaf", 8, 1.0, el(1e9)}, {"spine", 8, 1.0, el(1e9)}})},
         CompleteFlows{flat(16)}, Placement::contiguous(16, 1)},
        {topo::FatTreeParams{32, clos({{"leaf", 8, 3.0, el(1e9)}, {"spine", 8, 1.0, el(1e9)}})},
         RingFlows{flat(4), 1, false}, Placement::strided(4, 8, 8)},
        {topo::FullMeshParams{6, el(1e9)}, CompleteFlows{flat(6)}, Placement::contiguous(6, 1)},
    };
    for (const auto& s : symmetric) {
        const auto t = topo::build(s.params);
        const Fabric f(t);
        INFO(describe(s.pattern));
        CHECK(fair_loads(f, s.placement, s.pattern).seconds_per_unit ==
              doctest::Approx(explicit_loads(f, s.placement, s.pattern).seconds_per_unit).epsilon(1e-9));
    }
}

TEST_CASE("comm: max-min fair departs from the bottleneck when the busiest link's flows are held elsewhere") {
    // docs/models/comm.md: link L (the busiest: 2 units) carries x and y; x also crosses X and y
    // crosses Y, each shared with three short flows. At first x and y get 1/4 each (X and Y are the
    // bottlenecks), L runs half empty; after 0.4 the short flows are done and x, y share L.
    // Bottleneck estimate: max(2/1, 1.3/1, 1.3/1) = 2; max-min fair: 2.2.
    const std::vector<double> cap{1.0, 1.0, 1.0};  // L, X, Y
    std::vector<std::vector<std::pair<std::size_t, double>>> routes{{{0, 1.0}, {1, 1.0}}, {{0, 1.0}, {2, 1.0}}};
    std::vector<double> sizes{1.0, 1.0};
    for (int i = 0; i < 3; ++i) {
        routes.push_back({{1, 1.0}});
        sizes.push_back(0.1);
        routes.push_back({{2, 1.0}});
        sizes.push_back(0.1);
    }
    CHECK(max_min_makespan(cap, routes, sizes) == doctest::Approx(2.2).epsilon(1e-12));
    // A single bottleneck: equal to load / capacity.
    CHECK(max_min_makespan({2.0}, {{{0, 1.0}}, {{0, 1.0}}}, {3.0, 1.0}) == doctest::Approx(2.0).epsilon(1e-12));
}

TEST_CASE("comm: fair and explicit modes through run() agree with the folded default on a symmetric case") {
    const auto t = topo::build(topo::TorusParams{{4, 4}, el(50e9)});
    const CommModel m(t, alpha_cost(1, 1e-6));
    const Placement pl = Placement::contiguous(16, 1);
    for (const Collective k : {Collective::all_reduce, Collective::all_to_all}) {
        RunOptions e, fair;
        e.mode = FlowMode::explicit_flows;
        fair.sharing = Sharing::max_min_fair;
        e.algorithm = fair.algorithm = "dimension_wise";
        const auto a = m.run(pl, spec(k, 1e8), algo("dimension_wise"));
        const auto b = m.run(pl, spec(k, 1e8), e);
        const auto c = m.run(pl, spec(k, 1e8), fair);
        CHECK(a.time.si() == doctest::Approx(b.time.si()).epsilon(1e-12));
        CHECK(c.time.si() >= a.time.si() * (1 - 1e-9));
    }
}

// ------------------------------------------------------------------------------ degenerate inputs

TEST_CASE("comm: degenerate inputs: one rank, zero bytes, idle accelerators give defined, finite results") {
    const auto t = topo::build(topo::SingleSwitchParams{8, 16, el(100e9), 1});
    CostModel c = alpha_cost(1, 1e-6);
    c.launch_latency = Seconds(5e-6);
    const CommModel m(t, c);
    for (const Collective k : all_collectives()) {
        INFO(to_string(k));
        const auto one = m.run(Placement::contiguous(1, 8), spec(k, 1e6));
        CHECK(one.time.si() == 5e-6);
        CHECK(one.algbw.si() == doctest::Approx(1e6 / 5e-6));
        CHECK(one.busbw.si() == 0.0);
        CHECK(one.algorithm == "local");
        const auto zero = m.run(Placement::contiguous(4, 2), spec(k, 0));
        CHECK(zero.bandwidth.si() == 0.0);
        CHECK(zero.algbw.si() == 0.0);
        CHECK(std::isfinite(zero.time.si()));
        CHECK(zero.bottleneck_utilisation == 0.0);
    }
    const CommModel bare(t);  // no latency at all: zero bytes take no time, and no NaN
    const auto r = bare.run(Placement::contiguous(8, 1), spec(Collective::all_reduce, 0));
    CHECK(r.time.si() == 0.0);
    CHECK(r.algbw.si() == 0.0);
    CHECK(r.busbw.si() == 0.0);
    CHECK(bus_factor(Collective::all_reduce, 1) == 0.0);
}

TEST_CASE("comm: invalid placements, specs and cost models are errors that say what is wrong") {
    const auto t = topo::build(topo::SingleSwitchParams{8, 16, el(100e9), 1});
    const CommModel m(t);
    auto all_reduce = spec(Collective::all_reduce, 1e6);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(4, 3), all_reduce),
                         doctest::Contains("reach accelerator 11 but the topology has 8"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::explicit_groups({{0, 1}, {1, 2}}), all_reduce),
                         doctest::Contains("accelerator 1 is used more than once"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::explicit_groups({{0, 1}, {2}}), all_reduce),
                         doctest::Contains("group 1 has 1 ranks"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::explicit_groups({{0, 9}}), all_reduce),
                         doctest::Contains("accelerator 9 is not an active accelerator"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::explicit_groups({}), all_reduce),
                         doctest::Contains("at least one group"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::strided(0, 1, 1), all_reduce), doctest::Contains("group size must be"),
                         CommError);
    CHECK_THROWS_WITH_AS(Placement::tiled(10, 4), doctest::Contains("placement: group_size 4 does not divide the 10 accelerators"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(4, 1), spec(Collective::all_reduce, -1)),
                         doctest::Contains("bytes must be finite and >= 0"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(4, 1), CollectiveSpec{Collective::broadcast, Bytes(1), 4, {}}),
                         doctest::Contains("root 4 is not a rank"), CommError);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(4, 1), CollectiveSpec{Collective::all_to_all, Bytes(1), 0, {1, 2}}),
                         doctest::Contains("need p x p = 16"), CommError);
    CHECK_THROWS_WITH_AS(
        m.run(Placement::contiguous(2, 1), CollectiveSpec{Collective::all_reduce, Bytes(1), 0, {1, 1, 1, 1}}),
        doctest::Contains("for all_to_all only"), CommError);
    CHECK_THROWS_WITH_AS(
        m.run(Placement::contiguous(2, 1), CollectiveSpec{Collective::all_to_all, Bytes(1), 0, {0, 0, 0, 0}}),
        doctest::Contains("every weight is 0"), CommError);
    CHECK_THROWS_WITH_AS(
        m.run(Placement::contiguous(2, 1), CollectiveSpec{Collective::all_to_all, Bytes(1), 0, {0, -1, 0, 0}}),
        doctest::Contains("finite and >= 0"), CommError);
    CostModel bad;
    bad.levels.push_back({Seconds(-1), Seconds(0), 1.5, InNetworkReduction{0, false, ""}, "", 0, {}, {}});
    bad.launch_latency = Seconds(std::nan(""));
    CHECK_THROWS_WITH_AS(CommModel(t, bad), doctest::Contains("levels[0].efficiency must be in (0, 1]"), CommError);
    try {
        CommModel bad_model(t, bad);
    } catch (const CommError& e) {
        const std::string msg = e.what();
        CHECK(msg.find("launch_latency") != std::string::npos);
        CHECK(msg.find("levels[0].step_latency") != std::string::npos);
        CHECK(msg.find("in_network.efficiency") != std::string::npos);
    }
    const auto big = topo::build(topo::FatTreeParams{64, clos({{"leaf", 16, 1.0, el(1e9)}, {"spine", 8, 1.0, el(1e9)}})});
    const Fabric f(big);
    LoadOptions tight;
    tight.max_explicit_flows = 100;
    tight.max_fair_flows = 100;
    CHECK_THROWS_WITH_AS(explicit_loads(f, Placement::contiguous(64, 1), CompleteFlows{flat(64)}, tight),
                         doctest::Contains("more than 100 flows"), CommError);
    LoadOptions few_visits;
    few_visits.max_explicit_visits = 1000;
    CHECK_THROWS_WITH_AS(explicit_loads(f, Placement::contiguous(64, 1), RingFlows{flat(64), 1, false}, few_visits),
                         doctest::Contains("node visits of breadth-first search"), CommError);
    LoadOptions fair_only;
    fair_only.max_fair_flows = 100;
    CHECK_THROWS_WITH_AS(fair_loads(f, Placement::contiguous(64, 1), CompleteFlows{flat(64)}, fair_only),
                         doctest::Contains("more than 100 flows"), CommError);
    CHECK_THROWS_WITH_AS(folded_loads(f, Placement::contiguous(64, 1), CompleteFlows{flat(8)}),
                         doctest::Contains("pattern over 8 ranks for groups of 64"), CommError);
    CHECK_THROWS_WITH_AS(m.benchmark(Placement::contiguous(8, 1), all_reduce, SweepSpec{Bytes(8), Bytes(4), 2.0}),
                         doctest::Contains("0 < min <= max"), CommError);
}

TEST_CASE("comm: NCCL's double binary tree: the 14-rank tree drawn in trees.cc; every rank inner in at most one tree") {
    // trees.cc: 0 -> 8; 8 -> 4, 12; 4 -> 2, 6; 12 -> 10, 13; 2 -> 1, 3; 6 -> 5, 7; 10 -> 9, 11.
    const std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> drawn{
        {0, {8}}, {8, {4, 12}}, {4, {2, 6}}, {12, {10, 13}}, {2, {1, 3}}, {6, {5, 7}}, {10, {9, 11}}};
    for (const auto& [parent, children] : drawn) {
        const BtreeNode t = btree(14, parent);
        std::vector<std::int64_t> got;
        for (const auto c : {t.down0, t.down1})
            if (c >= 0) got.push_back(c);
        CHECK(got == children);
        for (const auto c : children) CHECK(btree(14, c).up == parent);
    }
    for (std::int64_t n = 2; n <= 64; ++n) {
        INFO("n = " << n);
        std::int64_t roots = 0;
        for (std::int64_t r = 0; r < n; ++r) {
            const BtreeNode a = btree(n, r), b = btree_second(n, r);
            roots += (a.up < 0) + (b.up < 0);
            const int inner_a = (a.down0 >= 0) + (a.down1 >= 0), inner_b = (b.down0 >= 0) + (b.down1 >= 0);
            CHECK((inner_a < 2 || inner_b < 2));  // never two children in both trees
            for (const auto c : {a.down0, a.down1})
                if (c >= 0) CHECK(btree(n, c).up == r);
            for (const auto c : {b.down0, b.down1})
                if (c >= 0) CHECK(btree_second(n, c).up == r);
        }
        CHECK(roots == 2);
    }
}

// ---------------------------------------------------------------------------- registry, tuner

TEST_CASE("comm: registry: one-line descriptions, unknown names list the valid ones, overrides") {
    const AlgorithmRegistry r = builtin_algorithms();
    CHECK(r.names() == std::vector<std::string>{"ring", "double_binary_tree", "recursive_halving_doubling", "direct", "one_sided",
                                                "hierarchical", "dimension_wise", "in_network", "chain",
                                                "binary_tree"});
    for (const auto& e : r.entries()) {
        CHECK(!e.description.empty());
        CHECK(e.description.find('\n') == std::string::npos);
    }
    for (const Collective k : all_collectives())
        CHECK(std::any_of(r.entries().begin(), r.entries().end(), [&](const auto& e) { return e.supports(k); }));
    CHECK_THROWS_WITH_AS((void)r.at("rign"), doctest::Contains("unknown collective algorithm 'rign' (valid: ring, "),
                         UnknownAlgorithm);
    AlgorithmRegistry copy = r;
    CHECK_THROWS_WITH_AS(copy.add(r.entries().front()), doctest::Contains("registered twice"), CommError);
    CHECK_THROWS_WITH_AS(copy.add({"x", "two\nlines", {Collective::all_reduce}, r.entries().front().build, std::nullopt}),
                         doctest::Contains("one-line description"), CommError);
    CHECK_THROWS_WITH_AS(copy.add({"", "d", {Collective::all_reduce}, r.entries().front().build, std::nullopt}),
                         doctest::Contains("needs a name"), CommError);
    CHECK_THROWS_WITH_AS(copy.add({"y", "d", {}, r.entries().front().build, std::nullopt}), doctest::Contains("supports no"),
                         CommError);
    CHECK_THROWS_WITH_AS(copy.add({"z", "d", {Collective::all_reduce}, {}, std::nullopt}), doctest::Contains("no build function"),
                         CommError);

    const auto t = topo::build(topo::SingleSwitchParams{6, 16, el(100e9), 1});
    const CommModel m(t);
    const auto ar = spec(Collective::all_reduce, 1e6);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(6, 1), ar, algo("recursive_halving_doubling")),
                         doctest::Contains("group size 6 is not a power of two"), NotApplicable);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(6, 1), ar, algo("hierarchical")),
                         doctest::Contains("two or more scale-up domains"), NotApplicable);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(6, 1), ar, algo("chain")),
                         doctest::Contains("'chain' does not implement all_reduce"), NotApplicable);
    CHECK_THROWS_WITH_AS(m.run(Placement::contiguous(6, 1), ar, algo("nope")), doctest::Contains("valid: ring"),
                         UnknownAlgorithm);
    CHECK(m.run(Placement::contiguous(6, 1), ar, algo("double_binary_tree")).algorithm == "double_binary_tree");
}

TEST_CASE("comm: the tuner picks the fastest applicable algorithm: latency-bound small, bandwidth-bound large") {
    const auto t = topo::build(topo::FatTreeParams{
        256, clos({{"leaf", 16, 1.0, el(50e9)}, {"spine", 16, 1.0, el(50e9)}, {"core", 16, 1.0, el(50e9)}})});
    const CommModel m(t, alpha_cost(1, 10e-6));
    const Placement pl = Placement::contiguous(256, 1);
    const auto small = m.run(pl, spec(Collective::all_reduce, 1e3));
    const auto large = m.run(pl, spec(Collective::all_reduce, 1e10));
    CHECK(small.algorithm == "recursive_halving_doubling");  // 2 log2 p steps instead of 2(p-1)
    for (const auto& [name, time] : small.candidates) CHECK(small.time.si() <= time.si());
    for (const auto& [name, time] : large.candidates) CHECK(large.time.si() <= time.si());
    CHECK(large.bandwidth.si() == doctest::Approx(2.0 * 255 / 256 * 1e10 / 50e9).epsilon(1e-9));
    // Deterministic: the same answer every time.
    const auto again = m.run(pl, spec(Collective::all_reduce, 1e10));
    CHECK(again.time.si() == large.time.si());
    CHECK(again.algorithm == large.algorithm);
}

TEST_CASE("comm: benchmark rows follow nccl-tests: algbw = S/t, busbw = algbw x factor, sizes by factor") {
    const auto t = topo::build(topo::gb200_nvl72_ndr(2));
    CostModel c;
    c.levels = {presets::nvlink4_nccl(), presets::ndr400_nccl()};
    c.launch_latency = presets::nccl_launch_latency();
    const CommModel m(t, c);
    const Placement pl = Placement::contiguous(144, 1);
    const auto rows = m.benchmark(pl, spec(Collective::all_reduce, 0), SweepSpec{Bytes(8), Bytes(8.0 * (1 << 27)), 2.0});
    REQUIRE(rows.size() == 28);
    double last_time = 0;
    std::vector<std::string> algs;
    for (const auto& row : rows) {
        CHECK(row.algbw.si() == doctest::Approx(row.bytes.si() / row.time.si()).epsilon(1e-12));
        CHECK(row.busbw.si() == doctest::Approx(row.algbw.si() * 2 * 143.0 / 144).epsilon(1e-12));
        CHECK(row.time.si() >= last_time);
        last_time = row.time.si();
        if (algs.empty() || algs.back() != row.algorithm) algs.push_back(row.algorithm);
        // Each row is what run() says for that size.
        CHECK(m.run(pl, spec(Collective::all_reduce, row.bytes.si())).time.si() == doctest::Approx(row.time.si()));
    }
    CHECK(rows.front().bytes.si() == 8);
    CHECK(rows.back().bytes.si() == 8.0 * (1 << 27));
    // On a torus small messages go by a log2(p)-step algorithm, large ones axis by axis (both
    // directions of every ring).
    const auto torus = topo::build(topo::TorusParams{{8, 8}, el(50e9)});
    const CommModel mt(torus, alpha_cost(1, 5e-6));
    const auto sweep = mt.benchmark(Placement::contiguous(64, 1), spec(Collective::all_reduce, 0),
                                    SweepSpec{Bytes(1024), Bytes(1e10), 4.0});
    CHECK((sweep.front().algorithm == "recursive_halving_doubling" || sweep.front().algorithm == "double_binary_tree"));
    CHECK(sweep.back().algorithm == "dimension_wise");
}

TEST_CASE("comm: uneven all-to-all: a hot spot is slower than the even exchange of the same total") {
    const auto t = topo::build(topo::SingleSwitchParams{8, 16, el(100e9), 1});
    const CommModel m(t);
    CollectiveSpec even = spec(Collective::all_to_all, 1e8);
    CollectiveSpec hot = even;
    hot.uneven.assign(64, 1.0);
    for (std::size_t i = 0; i < 8; ++i) hot.uneven[i * 8 + 3] = 8.0;  // everyone sends 8x more to rank 3
    const auto a = m.run(Placement::contiguous(8, 1), even);
    const auto b = m.run(Placement::contiguous(8, 1), hot);
    CHECK(b.time.si() > a.time.si());
    // Every row holds seven 1s and one 8 (the diagonal counts in the row total but moves nothing),
    // so rank i sends n x 8/15 to rank 3 and rank 3 receives 7 x 8/15 n over its one link.
    CHECK(b.bandwidth.si() == doctest::Approx(7 * 8 / 15.0 * 1e8 / 100e9).epsilon(1e-12));
    CHECK(a.bandwidth.si() == doctest::Approx(7 / 8.0 * 1e8 / 100e9).epsilon(1e-12));
}

TEST_CASE("comm: group shapes: blocks per domain, top level, dimensions") {
    const auto t = topo::build(topo::gb200_nvl72_ndr(4));
    const Fabric f(t);
    const GroupShape dp = describe_groups(f, Placement::tiled(288, 32, 9));  // 8 of each group per NVL72
    CHECK(dp.per_level == std::vector<std::int64_t>{8, 32});
    CHECK(dp.top_level == 1);
    REQUIRE(dp.dims.size() == 2);
    CHECK(dp.dims[0].size == 8);
    CHECK(dp.dims[1].size == 4);
    const GroupShape tp = describe_groups(f, Placement::tiled(288, 8, 1));
    CHECK(tp.top_level == 0);
    CHECK(tp.per_level[0] == 8);
    const auto ub = topo::build(topo::ub_mesh_pod());
    const Fabric fu(ub);
    const GroupShape rack = describe_groups(fu, Placement::tiled(1024, 64, 1));
    REQUIRE(rack.dims.size() == 2);
    CHECK(rack.dims[0].kind == DimKind::direct);
    const GroupShape racks = describe_groups(fu, Placement::tiled(1024, 16, 64));  // one per rack, all 16 racks
    REQUIRE(racks.dims.size() == 2);
    CHECK(racks.dims[0].size == 4);
    CHECK(racks.dims[1].size == 4);
}

// --------------------------------------------------------------------------------- validation

namespace {

/// DGX/HGX H100: 8 GPUs, 18 NVLink 4 links of 25 GB/s per direction each into the NVSwitches,
/// taken as one switch of 144 ports (the four NVSwitch chips are non-blocking).
topo::TopologyParams hgx_h100(std::int64_t nodes) {
    const auto nvlink = el(25e9);
    if (nodes == 1) return topo::SingleSwitchParams{8, 144, nvlink, 18};
    topo::ScaleUpScaleOutParams p;
    p.domains = nodes;
    p.domain_size = 8;
    p.scale_up_name = "nvlink";
    p.scale_up = clos({{"nvswitch", 144, 1.0, nvlink}}, 1, 18);
    p.scale_out_name = "infiniband";
    // One 400 Gb/s ConnectX-7 per GPU into a rail-optimised 2-tier fat-tree of 64-port switches.
    p.scale_out = clos({{"ib_leaf", 64, 1.0, topo::optical(BytesPerSecond(50e9))},
                        {"ib_spine", 64, 1.0, topo::optical(BytesPerSecond(50e9))}},
                       1, 1, 8);
    return p;
}

double pct(double model, double measured) { return 100.0 * (model - measured) / measured; }

}  // namespace

TEST_CASE("comm: validation: 8 x H100 NVLink all-reduce bus bandwidth (nccl-tests)") {
    const auto t = topo::build(hgx_h100(1));
    CostModel c;
    c.levels = {presets::nvlink4_nccl()};
    c.launch_latency = presets::nccl_launch_latency();
    const CommModel nvls(t, c);
    const Placement pl = Placement::contiguous(8, 1);
    const double n = 8.0 * (1 << 30);  // 8 GiB, the plateau
    const auto with = nvls.run(pl, spec(Collective::all_reduce, n));
    // nccl-tests#212 (NCCL maintainer): ~480 GB/s busbw with NVLS on 8 H100; nccl-tests#290: 476;
    // aigatech/vpbenchmarking: 479.72 at 8 GiB.
    MESSAGE("8xH100 NVLS all-reduce busbw " << with.busbw.si() / 1e9 << " GB/s (" << with.algorithm << "), error vs 480: "
                                            << pct(with.busbw.si(), 480e9) << "%");
    CHECK(with.algorithm == "in_network");
    CHECK(std::abs(pct(with.busbw.si(), 480e9)) < 3.0);
    // Ring (NCCL_ALGO=RING, or NVLS off): the maintainer's effective NVLink bandwidth, 370 GB/s.
    c.levels = {presets::nvlink4_nccl_no_nvls()};
    const CommModel ring(t, c);
    const auto r = ring.run(pl, spec(Collective::all_reduce, n), algo("ring"));
    MESSAGE("8xH100 ring all-reduce busbw " << r.busbw.si() / 1e9 << " GB/s, error vs 370: " << pct(r.busbw.si(), 370e9)
                                            << "%");
    CHECK(std::abs(pct(r.busbw.si(), 370e9)) < 1.0);
}

TEST_CASE("comm: validation: multi-node H100 all-reduce over 400 Gb/s NICs (nccl-tests)") {
    CostModel c;
    c.levels = {presets::nvlink4_nccl(), presets::ndr400_nccl()};
    c.launch_latency = presets::nccl_launch_latency();
    const double n = 8.0 * (1 << 30);
    // aigatech/vpbenchmarking: 4 nodes x 8 H100, 8 x 400G InfiniBand per node, all-reduce busbw 330.93 GB/s.
    const auto t4 = topo::build(hgx_h100(4));
    const CommModel m4(t4, c);
    const auto r4 = m4.run(Placement::contiguous(32, 1), spec(Collective::all_reduce, n));
    MESSAGE("4x8 H100 NDR all-reduce busbw " << r4.busbw.si() / 1e9 << " GB/s (" << r4.algorithm
                                             << "), error vs 330.93: " << pct(r4.busbw.si(), 330.93e9) << "%");
    CHECK(std::abs(pct(r4.busbw.si(), 330.93e9)) < 20.0);
    // NVIDIA/nccl#1368: 5 nodes x 8 H100, 4 x 400G RoCE per node, NCCL_ALGO=Ring: 190 GB/s.
    topo::ScaleUpScaleOutParams p = std::get<topo::ScaleUpScaleOutParams>(hgx_h100(5));
    p.scale_out.links_per_accelerator = 1;
    p.scale_out.tiers[0].down_link = topo::optical(BytesPerSecond(25e9));  // 4 NICs per 8 GPUs: 25 GB/s per GPU
    const auto t5 = topo::build(p);
    const CommModel m5(t5, c);
    const auto r5 = m5.run(Placement::contiguous(40, 1), spec(Collective::all_reduce, n), algo("ring"));
    MESSAGE("5x8 H100 4x400G ring all-reduce busbw " << r5.busbw.si() / 1e9 << " GB/s, error vs 190: "
                                                     << pct(r5.busbw.si(), 190e9) << "%");
    CHECK(std::abs(pct(r5.busbw.si(), 190e9)) < 5.0);
    // nccl-tests#283: 248 nodes x 8 H200 (NVLink 4 and 8 x 400G NICs, as H100), default algorithm,
    // 512 MiB: "typically around 350G". Every NIC carries one tree channel.
    const auto t248 = topo::build(hgx_h100(248));
    const CommModel m248(t248, c);
    const auto r248 = m248.run(Placement::contiguous(248 * 8, 1), spec(Collective::all_reduce, 512.0 * (1 << 20)));
    MESSAGE("248x8 H200 all-reduce 512 MiB busbw " << r248.busbw.si() / 1e9 << " GB/s (" << r248.algorithm
                                                   << "), error vs 350: " << pct(r248.busbw.si(), 350e9) << "%");
    CHECK(r248.algorithm == "double_binary_tree");
    CHECK(std::abs(pct(r248.busbw.si(), 350e9)) < 5.0);
    // Two nodes: the tree's busbw exceeds what the NICs carry (NVIDIA/nccl#812: "We often see two
    // nodes Tree BusBW figures that exceed the theoretical limit of the network cards").
    const auto t2 = topo::build(hgx_h100(2));
    const CommModel m2(t2, c);
    const auto r2 = m2.run(Placement::contiguous(16, 1), spec(Collective::all_reduce, n));
    CHECK(r2.algorithm == "double_binary_tree");
    CHECK(r2.busbw.si() > 8 * 50e9 * presets::ndr400_nccl().efficiency);
}

TEST_CASE("comm: validation: CloudMatrix 384 UB bandwidth, latency and the cross-node penalty") {
    const auto t = topo::build(topo::cloudmatrix384(1));
    CostModel c;
    c.levels = {presets::cloudmatrix_ub(), presets::ndr400_nccl()};
    const CommModel m(t, c);
    // One NPU (two dies) sends to another: NPUs 0 and 1 share a node (one L1 switch per plane);
    // NPUs 0 and 8 are in different nodes (through L2).
    auto p2p = [&](topo::NodeId a, topo::NodeId b, double bytes) {
        return m.run(Placement::explicit_groups({{a, b}}), spec(Collective::send_recv, bytes));
    };
    const double big = 1e9;
    const auto intra = p2p(0, 1, big), inter = p2p(0, 8, big);
    const double per_die = big / intra.time.si() / 2;
    MESSAGE("CM384 NPU-to-NPU per die " << per_die / 1e9 << " GB/s, error vs 196: " << pct(per_die, 196e9) << "%");
    CHECK(std::abs(pct(per_die, 196e9)) < 1.0);
    const double penalty = 1 - (big / inter.time.si()) / (big / intra.time.si());
    MESSAGE("CM384 inter-node bandwidth penalty " << 100 * penalty << "% (measured < 3%)");
    CHECK(penalty < 0.03);
    const auto small_intra = p2p(0, 1, 512), small_inter = p2p(0, 8, 512);
    MESSAGE("CM384 512 B latency intra " << small_intra.time.si() * 1e6 << " us, inter " << small_inter.time.si() * 1e6
                                         << " us (measured 1.2 us; inter-node < 1 us more)");
    CHECK(std::abs(pct(small_intra.time.si(), 1.2e-6)) < 1.0);
    CHECK(small_inter.time.si() - small_intra.time.si() < 1e-6);
}

TEST_CASE("comm: validation: CloudMatrix 384 one-sided expert dispatch at EP8 and EP256 (FusedDispatch)") {
    // Zuo et al. (arXiv 2506.12708, section 4.5; docs/research/cloudmatrix-serving.md): 128 tokens
    // per rank, top-8 of hidden 7168; dispatch in INT8 (7,168 B per token copy): 116 us at EP8,
    // 152 us at EP256; combine in BF16: 118 and 149 us. One rank per die, two dies per NPU: an NPU
    // sends for both of its ranks.
    const auto t = topo::build(topo::cloudmatrix384(1));
    CostModel c;
    c.levels = {presets::cloudmatrix_ub(), presets::ndr400_nccl()};
    c.launch_latency = presets::nccl_launch_latency();
    const CommModel m(t, c);
    struct Row {
        std::int64_t ep;
        double bytes_per_token, measured_us;
        const char* what;
    };
    std::map<std::int64_t, std::pair<double, double>> pair;  // EP -> (model, measured) of dispatch + combine
    for (const Row r : {Row{8, 7168, 116, "dispatch"}, Row{256, 7168, 152, "dispatch"}, Row{8, 14336, 118, "combine"},
                        Row{256, 14336, 149, "combine"}}) {
        const double per_npu = 2 * 128 * 8 * r.bytes_per_token;
        RunOptions one_sided;
        one_sided.algorithm = "one_sided";
        const auto out = m.run(Placement::contiguous(r.ep / 2, 1), spec(Collective::all_to_all, per_npu), one_sided);
        const double us = out.time.si() * 1e6;
        MESSAGE("CM384 " << std::string(r.what) << " EP" << r.ep << ": " << us << " us (" << out.algorithm << "), measured "
                         << r.measured_us << " us, error " << pct(us, r.measured_us) << "%");
        // One efficiency for both (their mean): dispatch, which quantises as it sends, is slower than
        // modelled and combine faster; each within 50%, their sum (a MoE layer's cost) within 25%.
        CHECK(std::abs(pct(us, r.measured_us)) < 50.0);
        pair[r.ep].first += us;
        pair[r.ep].second += r.measured_us;
    }
    for (const auto& [ep, mm] : pair) {
        MESSAGE("CM384 dispatch + combine EP" << ep << ": " << mm.first << " us, measured " << mm.second << " us, error "
                                              << pct(mm.first, mm.second) << "%");
        CHECK(std::abs(pct(mm.first, mm.second)) < 25.0);
    }
}

TEST_CASE("comm: validation: DeepEP low-latency dispatch + combine on H800 over 400G InfiniBand") {
    // DeepEP README (H800, one CX7 400 Gb/s NIC each; 128 tokens per rank, hidden 7168, top-8, FP8
    // dispatch of 7,168 B per token copy and BF16 combine): dispatch + combine 118 + 195 us at EP16,
    // 155 + 273 at EP32, 192 + 369 at EP128, 194 + 360 at EP256. The presets' one-sided figures were
    // fitted on EP16 and EP256; EP32 and EP128 are the check.
    struct Row {
        std::int64_t ep;
        double measured_us;
    };
    for (const Row r : {Row{16, 313}, Row{32, 428}, Row{128, 561}, Row{256, 554}}) {
        // H800 nodes: 8 NVLink links of 25 GB/s per GPU (200 GB/s, export-capped), one 400G NIC per GPU.
        topo::ScaleUpScaleOutParams p = std::get<topo::ScaleUpScaleOutParams>(hgx_h100(r.ep / 8));
        p.scale_up = clos({{"nvswitch", 64, 1.0, el(25e9)}}, 1, 8);
        const auto t = topo::build(p);
        CostModel c;
        c.levels = {presets::nvlink3_nccl(), presets::ndr400_nccl()};
        c.launch_latency = presets::nccl_launch_latency();
        const CommModel m(t, c);
        RunOptions one_sided;
        one_sided.algorithm = "one_sided";
        const auto pl = Placement::contiguous(r.ep, 1);
        const double us = (m.run(pl, spec(Collective::all_to_all, 128 * 8 * 7168.0), one_sided).time.si() +
                           m.run(pl, spec(Collective::all_to_all, 128 * 8 * 14336.0), one_sided).time.si()) * 1e6;
        MESSAGE("DeepEP LL dispatch + combine EP" << r.ep << ": " << us << " us, measured " << r.measured_us << " us, error "
                                                  << pct(us, r.measured_us) << "%");
        CHECK(std::abs(pct(us, r.measured_us)) < 25.0);
    }
}

// ------------------------------------------------------------------ presets chosen per level

namespace {

topo::LevelInfo level_named(const std::string& name, topo::PlaneKind plane) { return topo::LevelInfo{name, plane, 8, 1}; }

}  // namespace

TEST_CASE("comm: preset_for_level picks the NVLink generation from the chip's scale-up bandwidth") {
    const auto nvlink = level_named("nvlink", topo::PlaneKind::scale_up);
    // A100: 12 links x 25 GB/s = 300 GB/s per direction -> NVLink 3 (SM80_NVLINK_BW 20.0 of 25), no NVLS.
    const auto a100 = preset_for_level(nvlink, 300e9);
    CHECK(a100.cost.efficiency == doctest::Approx(20.0 / 25.0));
    CHECK_FALSE(a100.cost.in_network.has_value());
    CHECK(a100.label.find("nvlink3_nccl") != std::string::npos);
    // H100: 18 x 25 GB/s = 450 GB/s -> NVLink 4 with NVLS (unchanged from clustersim comm's old rule).
    const auto h100 = preset_for_level(nvlink, 450e9);
    CHECK(h100.cost.efficiency == doctest::Approx(presets::nvlink4_nccl().efficiency));
    CHECK(h100.cost.in_network.has_value());
    CHECK(h100.label == "NVLink 4 with NCCL (presets::nvlink4_nccl)");
    // Up to 900 GB/s (Blackwell), or unknown (0 or NaN): NVLink 5.
    for (const double bw : {900e9, 0.0, std::nan("")}) {
        const auto c = preset_for_level(nvlink, bw);
        CHECK(c.cost.efficiency == doctest::Approx(40.1 / 50.0));
        CHECK(c.label == "NVLink 5 with NCCL (presets::nvlink5_nccl)");
    }
    // Rubin's 1.8 TB/s one way: NVLink 6, with NVLink 5's figures (assumed) and a label that says so.
    const auto rubin = preset_for_level(nvlink, 1.8e12);
    CHECK(rubin.cost.efficiency == doctest::Approx(40.1 / 50.0));
    CHECK(rubin.label == "NVLink 6 with NCCL, NVLink 5's figures assumed (presets::nvlink6_nccl)");
    CHECK(rubin.cost.source.find("not public") != std::string::npos);
    // The boundary belongs to the lower generation.
    CHECK(preset_for_level(nvlink, 300e9 + 1).cost.efficiency == doctest::Approx(20.6 / 25.0));
}

TEST_CASE("comm: preset_for_level maps HCCS, ICI, UB, HDR and other scale-out levels by name and plane") {
    using topo::PlaneKind;
    auto eff = [](const std::string& name, PlaneKind plane) { return preset_for_level(level_named(name, plane), 450e9).cost.efficiency; };
    auto label = [](const std::string& name, PlaneKind plane) { return preset_for_level(level_named(name, plane), 450e9).label; };
    // Ascend HCCS (atlas_800t_a2_cluster): HCCL's own fitted 135.1 GB/s bus bandwidth of 196, 1.2 us per step.
    CHECK(eff("hccs", PlaneKind::scale_up) == doctest::Approx(135.1 / 196.0));
    CHECK(preset_for_level(level_named("hccs", PlaneKind::scale_up), 0).cost.step_latency.si() == doctest::Approx(1.2e-6));
    // TPU ICI (tpu_v4_pod): 45 of 50 GB/s per link.
    CHECK(eff("ici", PlaneKind::scale_up) == doctest::Approx(0.9));
    CHECK(label("ici", PlaneKind::scale_up) == "TPU ICI (presets::tpu_ici)");
    // UB, UB-Mesh dimensions and the high-radix-switch Clos: CloudMatrix UB, as before.
    for (const char* n : {"ub", "ub_mesh", "hrs", "dim0"}) CHECK(label(n, PlaneKind::scale_up) == "CloudMatrix 384 UB (presets::cloudmatrix_ub)");
    // 200 Gb/s scale-out (HDR InfiniBand, 200G RoCE): 24 of 25 GB/s per NIC.
    CHECK(eff("infiniband_hdr", PlaneKind::scale_out) == doctest::Approx(0.96));
    CHECK(eff("roce_200g", PlaneKind::scale_out) == doctest::Approx(0.96));
    CHECK(preset_for_level(level_named("infiniband_hdr", PlaneKind::scale_out), 0).cost.step_latency.si() == doctest::Approx(14e-6));
    // Any other scale-out level: the 400G preset, as before.
    for (const char* n : {"infiniband", "roce", "ethernet", "rdma", "dcn", "omnipath"}) {
        CHECK(label(n, PlaneKind::scale_out) == "400G NIC with NCCL (presets::ndr400_nccl)");
    }
    // Tokens, not substrings, for the new rules; a scale-up level with no known name gets no preset.
    CHECK(label("hdr", PlaneKind::scale_up) == "no preset: line rate, no latency");
    CHECK(label("silicon", PlaneKind::scale_up) == "no preset: line rate, no latency");
    CHECK(label("hccs2", PlaneKind::scale_up) == "no preset: line rate, no latency");
    CHECK(label("switch", PlaneKind::scale_up) == "no preset: line rate, no latency");
    CHECK(eff("switch", PlaneKind::scale_up) == 1.0);
}

TEST_CASE("comm: preset_cost_model gives every level of a topology its preset and NCCL's launch latency") {
    // Two HCCS full meshes of 8 under a 200G RoCE Clos, as in atlas_800t_a2_cluster.
    topo::HierarchicalParams h;
    h.levels.push_back({"hccs", topo::PlaneKind::scale_up, 8, topo::FullMeshNetwork{{{8, el(28e9)}}, 0, 0, {}}});
    h.levels.push_back({"roce_200g", topo::PlaneKind::scale_out, 16,
                        clos({{"leaf", 16, 1.0, el(25e9)}, {"spine", 16, 1.0, el(25e9)}}, 1, 1, 8)});
    const auto t = topo::build(topo::TopologyParams{h});
    const CostModel c = preset_cost_model(t, 196e9);
    REQUIRE(c.levels.size() == 2);
    CHECK(c.problems().empty());
    CHECK(c.launch_latency.si() == doctest::Approx(presets::nccl_launch_latency().si()));
    CHECK(c.levels[0].efficiency == presets::hccs().efficiency);
    CHECK(c.levels[0].source == presets::hccs().source);
    CHECK(c.levels[1].efficiency == doctest::Approx(presets::hdr200_nccl().efficiency));
    CHECK(c.source.find("hccs: ") != std::string::npos);
    // HCCL drives this cluster: its RoCE level gets the 200G preset's bandwidth and latency, not NCCL's protocols
    // nor DeepEP's one-sided kernels (with their 24 SMs, a whole 910B's 24 AI cores).
    CHECK(c.protocols.empty());
    CHECK(c.levels[1].protocols.empty());
    CHECK_FALSE(c.levels[1].one_sided.has_value());
    CHECK(c.levels[1].compute_units_busy == 0);  // HCCL's transfers are DMA-driven
    CHECK_FALSE(presets::hdr200_nccl().protocols.empty());
    CHECK(presets::hdr200_nccl().one_sided.has_value());
    CHECK(presets::hdr200_nccl().compute_units_busy == 16);
    // Every preset is a valid cost input with its source.
    for (const auto& l : {presets::nvlink3_nccl(), presets::hdr200_nccl(), presets::tpu_ici(), presets::hccs()}) {
        CostModel one;
        one.levels = {l};
        CHECK(one.problems().empty());
        CHECK_FALSE(l.source.empty());
    }
    // A DGX A100 pair (NVLink 3 + HDR): a ring all-reduce across the two nodes is bound by the HDR NICs at
    // 24 GB/s each, 8 per node: busbw 8 x 24 = 192 GB/s for large messages.
    topo::ScaleUpScaleOutParams p;
    p.domains = 2;
    p.domain_size = 8;
    p.scale_up_name = "nvlink";
    p.scale_up = clos({{"nvswitch", 8, 1.0, el(50e9)}}, 6);
    p.scale_out_name = "infiniband_hdr";
    p.scale_out = clos({{"ib_leaf", 40, 1.0, el(25e9)}, {"ib_spine", 40, 1.0, el(25e9)}}, 1, 1, 8);
    const auto a100 = topo::build(topo::TopologyParams{p});
    const CostModel a100_cost = preset_cost_model(a100, 300e9);
    CHECK(a100_cost.protocols.size() == 4);  // NCCL on every level: LL and LL128, ring and tree kernels
    // ... and DeepEP's library and NCCL's SMs on both of its levels.
    for (const auto& l : a100_cost.levels) {
        CHECK(l.one_sided.has_value());
        CHECK(l.compute_units_busy == 16);
    }
    const CommModel m(a100, a100_cost);
    const auto r = m.run(Placement::contiguous(16, 1), spec(Collective::all_reduce, 8e9), algo("ring"));
    MESSAGE("2 x DGX A100 ring all-reduce 8 GB busbw " << r.busbw.si() / 1e9 << " GB/s (NIC bound 192)");
    CHECK(r.busbw.si() == doctest::Approx(8 * 24e9).epsilon(0.02));
}

TEST_CASE("comm: a cost curve gives run()'s time and algorithm at every size") {
    const auto& cat = clustersim::test::source_catalog();
    const auto& spec = *cat.systems.at("hgx_h100_ib_cluster").topology;
    const topo::Topology t = topo::build(spec.params);
    const comm::CommModel model(t, comm::preset_cost_model(t, 450e9));
    for (const auto& pl : {comm::Placement::tiled(1024, 8, 1), comm::Placement::tiled(1024, 128, 8),
                           comm::Placement::tiled(1024, 1024, 1), comm::Placement::tiled(1024, 1, 1)}) {
        for (const auto kind : comm::all_collectives()) {
            if (kind == comm::Collective::broadcast) continue;
            const auto curve = model.curve(pl, kind);
            for (const double bytes : {8.0, 4096.0, 1e6, 3e8, 4e9}) {
                const auto r = model.run(pl, comm::CollectiveSpec{kind, units::Bytes(bytes), 0, {}});
                INFO("p ", pl.group_size(), " kind ", comm::to_string(kind), " bytes ", bytes);
                CHECK(curve.time_s(bytes) == doctest::Approx(r.time.si()).epsilon(1e-12));
                if (const auto* line = curve.best(bytes)) CHECK(line->algorithm == r.algorithm);
            }
        }
    }
}
