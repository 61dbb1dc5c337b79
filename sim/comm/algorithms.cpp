// The built-in algorithms. Each stage's `unit` is the bytes per weight unit of its pattern as a
// fraction of the collective's bytes n; formulas and sources in docs/models/comm.md.
#include "comm/algorithms.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "comm/error.hpp"

namespace clustersim::comm {

bool AlgorithmEntry::supports(Collective c) const {
    return std::find(collectives.begin(), collectives.end(), c) != collectives.end();
}

void AlgorithmRegistry::add(AlgorithmEntry entry) {
    if (entry.name.empty()) throw CommError("a collective algorithm needs a name");
    if (find(entry.name)) throw CommError("collective algorithm '" + entry.name + "' is registered twice");
    if (entry.description.empty() || entry.description.find('\n') != std::string::npos)
        throw CommError("collective algorithm '" + entry.name + "' needs a one-line description");
    if (entry.collectives.empty()) throw CommError("collective algorithm '" + entry.name + "' supports no collective");
    if (!entry.build) throw CommError("collective algorithm '" + entry.name + "' has no build function");
    entries_.push_back(std::move(entry));
}

const AlgorithmEntry* AlgorithmRegistry::find(std::string_view name) const {
    const auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.name == name; });
    return it == entries_.end() ? nullptr : &*it;
}

const AlgorithmEntry& AlgorithmRegistry::at(std::string_view name) const {
    if (const auto* e = find(name)) return *e;
    throw UnknownAlgorithm(std::string(name), names());
}

std::vector<std::string> AlgorithmRegistry::names() const {
    std::vector<std::string> n;
    for (const auto& e : entries_) n.push_back(e.name);
    return n;
}

std::vector<std::string> AlgorithmRegistry::names_for(const std::vector<Collective>& collectives) const {
    std::vector<std::string> out;
    for (const auto& e : entries_)
        if (std::any_of(collectives.begin(), collectives.end(), [&e](Collective c) { return e.supports(c); })) out.push_back(e.name);
    return out;
}

namespace {

using C = Collective;

double dbl(std::int64_t v) { return static_cast<double>(v); }

BuildResult no(std::string why) { return {std::nullopt, std::move(why)}; }
BuildResult yes(Schedule s) { return {std::move(s), {}}; }

bool power_of_two(std::int64_t v) { return v > 0 && (v & (v - 1)) == 0; }
std::int64_t ceil_log2(std::int64_t v) {
    std::int64_t l = 0;
    while ((std::int64_t{1} << l) < v) ++l;
    return l;
}

/// Ranks per scale-up domain (level-0 instance) when every group has the same number in each and
/// they are consecutive in rank order, with at least two domains; else 1.
std::int64_t domain_block(const GroupShape& s) {
    if (s.per_level.empty()) return 1;
    const std::int64_t m = s.per_level[0];
    if (m <= 1 || m >= s.ranks || s.ranks % m != 0) return 1;
    return m;
}

/// Ring reduce-scatter or all-gather over the lines of `lines` (length q), data d (fraction of n)
/// per rank before a reduce-scatter or after an all-gather. `domain`: multi-ring block.
Stage ring_stage(std::string name, const Lines& lines, double data, std::int64_t domain, bool bidirectional = false) {
    const std::int64_t q = lines.length();
    const std::int64_t blocks = domain > 1 ? q / domain : 1;
    Stage s{std::move(name), RingFlows{lines, domain, bidirectional}, data / dbl(q), dbl(q - 1), 0, 0};
    if (blocks > 1) {
        s.latency_steps = dbl(blocks - 1);
        s.inner_latency_steps = dbl(q - blocks);
    } else {
        s.latency_steps = dbl(q - 1);
    }
    return s;
}

/// Reduce-scatter (or all-gather) of data d along a group dimension with the dimension's own
/// algorithm: direct on a full mesh, both ways round on a torus, a ring otherwise.
Stage dim_stage(const std::string& what, const Lines& lines, DimKind kind, double data) {
    const std::int64_t q = lines.length();
    if (kind == DimKind::direct)
        return {what + " (direct)", CompleteFlows{lines}, data / dbl(q), 1.0, dbl(q - 1), 0};
    return ring_stage(what + (kind == DimKind::bidirectional_ring ? " (bidirectional ring)" : " (ring)"), lines, data, 1,
                      kind == DimKind::bidirectional_ring);
}

Lines lines_of(const std::vector<std::int64_t>& shape, std::size_t dim) { return Lines{shape, dim}; }

bool uneven(const AlgorithmContext& c) { return c.spec.kind == C::all_to_all && !c.spec.uneven.empty(); }

// ------------------------------------------------------------------------------ builders

BuildResult ring(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks, m = domain_block(c.shape);
    const Lines l = flat(p);
    Schedule s;
    switch (c.spec.kind) {
        case C::all_reduce:
            s.stages.push_back(ring_stage("reduce-scatter", l, 1.0, m));
            s.stages.push_back(ring_stage("all-gather", l, 1.0, m));
            break;
        case C::reduce_scatter: s.stages.push_back(ring_stage("reduce-scatter", l, 1.0, m)); break;
        case C::all_gather: s.stages.push_back(ring_stage("all-gather", l, 1.0, m)); break;
        default: return no("ring does not implement " + std::string(to_string(c.spec.kind)));
    }
    return yes(std::move(s));
}

BuildResult double_binary_tree(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks, m = domain_block(c.shape);
    const std::int64_t blocks = p / m;
    Stage st{"reduce + broadcast (pipelined)", TreeFlows{flat(p), m}, 1.0, 1.0, 2.0 * dbl(ceil_log2(blocks)),
             2.0 * dbl(m - 1)};
    if (blocks == 1) {
        st.latency_steps = 2.0 * dbl(m - 1);
        st.inner_latency_steps = 0;
    }
    return yes(Schedule{{st}});
}

BuildResult recursive_halving_doubling(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks;
    if (!power_of_two(p)) return no("the group size " + std::to_string(p) + " is not a power of two");
    const Lines l = flat(p);
    Schedule s;
    const std::int64_t steps = ceil_log2(p);
    // Distance 1 first: the largest exchanges stay nearest (the reverse of MPICH's order, same cost
    // on a flat network, cheaper on a hierarchical one).
    std::vector<Stage> halving, doubling;
    for (std::int64_t k = 0; k < steps; ++k) {
        const double data = std::ldexp(1.0, -static_cast<int>(k + 1));
        halving.push_back({"reduce-scatter, distance " + std::to_string(std::int64_t{1} << k),
                           XorFlows{l, std::int64_t{1} << k}, data, 1.0, 1.0, 0});
    }
    for (std::int64_t k = steps - 1; k >= 0; --k) {
        const double data = std::ldexp(1.0, -static_cast<int>(k + 1));
        doubling.push_back({"all-gather, distance " + std::to_string(std::int64_t{1} << k),
                            XorFlows{l, std::int64_t{1} << k}, data, 1.0, 1.0, 0});
    }
    switch (c.spec.kind) {
        case C::all_reduce:
            s.stages = halving;
            s.stages.insert(s.stages.end(), doubling.begin(), doubling.end());
            break;
        case C::reduce_scatter: s.stages = halving; break;
        case C::all_gather: s.stages = doubling; break;
        default: return no("recursive halving/doubling does not implement " + std::string(to_string(c.spec.kind)));
    }
    return yes(std::move(s));
}

/// An uneven all-to-all's send matrix, in units of the mean row (what each rank sends on average).
MatrixFlows uneven_flows(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks;
    const auto& w = c.spec.uneven;
    double total = 0;
    for (const auto x : w) total += x;
    const double mean_row = total / dbl(p);
    MatrixFlows mf{p, w};
    for (auto& x : mf.weights) x = mean_row > 0 ? x / mean_row : 0.0;
    return mf;
}

BuildResult direct(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks;
    const Lines l = flat(p);
    switch (c.spec.kind) {
        case C::all_to_all: {
            if (!uneven(c)) return yes(Schedule{{{"all-to-all", CompleteFlows{l}, 1.0 / dbl(p), 1.0, dbl(p - 1), 0}}});
            return yes(Schedule{{{"all-to-all (uneven)", uneven_flows(c), 1.0, 1.0, dbl(p - 1), 0}}});
        }
        case C::reduce_scatter:
            return yes(Schedule{{{"reduce-scatter", CompleteFlows{l}, 1.0 / dbl(p), 1.0, dbl(p - 1), 0}}});
        case C::all_gather:
            return yes(Schedule{{{"all-gather", CompleteFlows{l}, 1.0 / dbl(p), 1.0, dbl(p - 1), 0}}});
        case C::send_recv: return yes(Schedule{{{"send to the next stage", ChainFlows{l, 0}, 1.0, 1.0, 1.0, 0}}});
        default: return no("direct does not implement " + std::string(to_string(c.spec.kind)));
    }
}

BuildResult hierarchical(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks, m = domain_block(c.shape);
    if (m == 1)
        return no("the group does not split into equal blocks of consecutive ranks over two or more scale-up domains");
    if (uneven(c)) return no("uneven all-to-all runs direct only");
    const std::int64_t d = p / m;
    const std::vector<std::int64_t> shape{m, d};
    const Lines inner = lines_of(shape, 0), outer = lines_of(shape, 1);
    Schedule s;
    switch (c.spec.kind) {
        case C::all_reduce:
            s.stages.push_back(ring_stage("reduce-scatter inside the domain", inner, 1.0, 1));
            s.stages.push_back(ring_stage("all-reduce across domains: reduce-scatter", outer, 1.0 / dbl(m), 1));
            s.stages.push_back(ring_stage("all-reduce across domains: all-gather", outer, 1.0 / dbl(m), 1));
            s.stages.push_back(ring_stage("all-gather inside the domain", inner, 1.0, 1));
            break;
        case C::reduce_scatter:
            s.stages.push_back(ring_stage("reduce-scatter inside the domain", inner, 1.0, 1));
            s.stages.push_back(ring_stage("reduce-scatter across domains", outer, 1.0 / dbl(m), 1));
            break;
        case C::all_gather:
            s.stages.push_back(ring_stage("all-gather across domains", outer, 1.0 / dbl(m), 1));
            s.stages.push_back(ring_stage("all-gather inside the domain", inner, 1.0, 1));
            break;
        case C::all_to_all:
            s.stages.push_back({"exchange inside the domain (by destination rail)", CompleteFlows{inner}, 1.0 / dbl(m),
                                1.0, dbl(m - 1), 0});
            s.stages.push_back({"exchange across domains (same rail)", CompleteFlows{outer}, 1.0 / dbl(d), 1.0,
                                dbl(d - 1), 0});
            break;
        default: return no("hierarchical does not implement " + std::string(to_string(c.spec.kind)));
    }
    return yes(std::move(s));
}

BuildResult dimension_wise(const AlgorithmContext& c) {
    const auto& dims = c.shape.dims;
    if (dims.size() < 2)
        return no("the group is not laid out over two or more dimensions (torus or full-mesh axes, or levels)");
    if (uneven(c)) return no("uneven all-to-all runs direct only");
    std::vector<std::int64_t> shape;
    for (const auto& d : dims) shape.push_back(d.size);
    Schedule s;
    std::vector<Stage> rs, ag;
    double data = 1.0;
    for (std::size_t i = 0; i < dims.size(); ++i) {
        rs.push_back(dim_stage("reduce-scatter along dimension " + std::to_string(i), lines_of(shape, i), dims[i].kind,
                               data));
        data /= dbl(dims[i].size);
    }
    for (std::size_t i = dims.size(); i-- > 0;) {
        data *= dbl(dims[i].size);
        ag.push_back(dim_stage("all-gather along dimension " + std::to_string(i), lines_of(shape, i), dims[i].kind,
                               data));
    }
    switch (c.spec.kind) {
        case C::all_reduce:
            s.stages = rs;
            s.stages.insert(s.stages.end(), ag.begin(), ag.end());
            break;
        case C::reduce_scatter: s.stages = rs; break;
        case C::all_gather: s.stages = ag; break;
        case C::all_to_all:
            for (std::size_t i = 0; i < dims.size(); ++i)
                s.stages.push_back({"exchange along dimension " + std::to_string(i), CompleteFlows{lines_of(shape, i)},
                                    1.0 / dbl(dims[i].size), 1.0, dbl(dims[i].size - 1), 0});
            break;
        default: return no("dimension_wise does not implement " + std::string(to_string(c.spec.kind)));
    }
    return yes(std::move(s));
}

BuildResult in_network(const AlgorithmContext& c) {
    const int top = c.shape.top_level;
    if (c.shape.bottom_level != top)
        return no("the groups do not all span the same levels (some lie inside one level-" +
                  std::to_string(c.shape.bottom_level) + " instance, some need level " + std::to_string(top) + ")");
    const auto& lv = c.fabric.levels()[static_cast<std::size_t>(top)];
    const auto& cost = c.fabric.cost().level(static_cast<std::size_t>(top));
    if (lv.kind != LevelKind::clos || !cost.in_network)
        return no("level '" + lv.name + "', which holds each whole group, has no in-network reduction (set "
                  "CostModel::levels[" + std::to_string(top) + "].in_network for switches that reduce)");
    const std::int64_t p = c.shape.ranks;
    const bool ls = cost.in_network->load_store;
    const double part = 1.0 / dbl(p);
    InNetworkFlows f{flat(p), 1.0, 1.0};
    switch (c.spec.kind) {
        case C::all_reduce:
            if (ls) f.up = f.down = 1.0 + part;
            return yes(Schedule{{{"reduce + multicast in the switches", f, 1.0, 1.0, 1.0, 0}}});
        case C::reduce_scatter:
            f.down = part;
            return yes(Schedule{{{"reduce in the switches", f, 1.0, 1.0, 1.0, 0}}});
        case C::all_gather:
            f.up = part;
            return yes(Schedule{{{"multicast in the switches", f, 1.0, 1.0, 1.0, 0}}});
        default: return no("in_network does not implement " + std::string(to_string(c.spec.kind)));
    }
}

BuildResult chain(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks;
    return yes(Schedule{{{"broadcast down a pipelined chain", ChainFlows{flat(p), c.spec.root}, 1.0, 1.0, dbl(p - 1), 0}}});
}

BuildResult binary_tree(const AlgorithmContext& c) {
    const std::int64_t p = c.shape.ranks;
    std::int64_t depth = 0;
    while ((std::int64_t{2} << depth) - 1 < p) ++depth;
    return yes(
        Schedule{{{"broadcast down a pipelined binary tree", BinaryTreeFlows{flat(p), c.spec.root}, 1.0, 1.0, dbl(depth), 0}}});
}

/// All puts issued at once by the sending ranks (remote writes), so that latency grows by a small
/// per-peer cost rather than by a step per peer as in the pairwise exchange: where every level the
/// groups span has a one-sided library (LevelCost::one_sided).
BuildResult one_sided(const AlgorithmContext& c) {
    for (int level = 0; level <= c.shape.top_level; ++level) {
        if (!c.fabric.cost().level(static_cast<std::size_t>(level)).one_sided)
            return no("no one-sided all-to-all library on level " + std::to_string(level) + " (LevelCost::one_sided)");
    }
    const std::int64_t p = c.shape.ranks;
    const double peers = dbl(std::max<std::int64_t>(0, p - 2));
    // The library moves its payload at one_sided_efficiency of the line rate where the links'
    // protocol reaches `efficiency`: its bytes cost efficiency / one_sided_efficiency times more.
    const auto& top = c.fabric.cost().level(static_cast<std::size_t>(c.shape.top_level));
    const double slower = top.efficiency / top.one_sided->efficiency;
    if (!uneven(c))
        return yes(Schedule{{{"all-to-all (one-sided writes)", CompleteFlows{flat(p)}, 1.0 / dbl(p), slower, 1.0, 0, peers}}});
    return yes(Schedule{{{"all-to-all (uneven, one-sided writes)", uneven_flows(c), 1.0, slower, 1.0, 0, peers}}});
}

}  // namespace

void register_builtin_algorithms(AlgorithmRegistry& r) {
    r.add({"ring", "ring reduce-scatter/all-gather, one ring per rank of a scale-up domain across domains (NCCL rings)",
           {C::all_reduce, C::reduce_scatter, C::all_gather},
           ring,
           KernelFamily::ring});
    r.add({"double_binary_tree", "NCCL's pipelined double binary tree across domains, chains inside them",
           {C::all_reduce},
           double_binary_tree,
           KernelFamily::tree});
    r.add({"recursive_halving_doubling", "Rabenseifner: recursive halving reduce-scatter, doubling all-gather (p = 2^k)",
           {C::all_reduce, C::reduce_scatter, C::all_gather},
           recursive_halving_doubling, std::nullopt});
    r.add({"direct", "every rank sends to every other at once (pairwise exchange); pipeline sends for send/recv",
           {C::all_to_all, C::reduce_scatter, C::all_gather, C::send_recv},
           direct, std::nullopt});
    r.add({"one_sided", "all-to-all by remote writes to every peer at once (expert dispatch: CloudMatrix FusedDispatch, DeepEP)",
           {C::all_to_all},
           one_sided, std::nullopt});
    r.add({"hierarchical", "inside the scale-up domain, then across domains by rail, then inside again (NCCL, HCCL)",
           {C::all_reduce, C::reduce_scatter, C::all_gather, C::all_to_all},
           hierarchical, std::nullopt});
    r.add({"dimension_wise", "one dimension at a time: torus axes, full-mesh axes, then each level above",
           {C::all_reduce, C::reduce_scatter, C::all_gather, C::all_to_all},
           dimension_wise, std::nullopt});
    r.add({"in_network", "reduction in the switches (NVLink SHARP, InfiniBand SHARP) where the cost model enables it",
           {C::all_reduce, C::reduce_scatter, C::all_gather},
           in_network, std::nullopt});
    r.add({"chain", "broadcast down a pipelined chain from the root (NCCL ring broadcast)", {C::broadcast}, chain,
           KernelFamily::ring});
    r.add({"binary_tree", "broadcast down a pipelined binary tree from the root", {C::broadcast}, binary_tree, std::nullopt});
}

AlgorithmRegistry builtin_algorithms() {
    AlgorithmRegistry r;
    register_builtin_algorithms(r);
    return r;
}

}  // namespace clustersim::comm
