// Flow-by-flow link loads on the graph (the reference for the folded path) and the max-min fair
// fluid reference.
#include <algorithm>
#include <cmath>
#include <variant>

#include "comm/error.hpp"
#include "comm/loads.hpp"
#include "comm/routing.hpp"

namespace clustersim::comm {

namespace detail {

struct Flow {
    topo::NodeId src = 0, dst = 0;
    double w = 0;
    int level = 0;
};

/// Every flow of every group (in-network patterns excepted).
std::vector<Flow> all_flows(const Fabric& f, const Placement& pl, const Pattern& pattern, std::uint64_t limit) {
    std::vector<Flow> out;
    auto add = [&](std::int64_t g, std::int64_t r1, std::int64_t r2, double w) {
        if (out.size() >= limit)
            throw CommError("explicit flows: more than " + std::to_string(limit) +
                            " flows (use the folded mode for instances this large)");
        const auto a = pl.accelerator(g, r1), b = pl.accelerator(g, r2);
        out.push_back({a, b, w, f.common_level(static_cast<std::int64_t>(a), static_cast<std::int64_t>(b))});
    };
    for (std::int64_t g = 0; g < pl.group_count(); ++g) {
        if (const auto* c = std::get_if<CompleteFlows>(&pattern)) {
            const std::int64_t q = c->lines.length();
            for (std::int64_t r = 0; r < pl.group_size(); ++r)
                for (std::int64_t j = 0; j < q; ++j) {
                    const std::int64_t r2 = c->lines.rank_at(r, j);
                    if (r2 != r) add(g, r, r2, 1.0);
                }
            continue;
        }
        std::visit(
            [&](const auto& p) {
                using P = std::decay_t<decltype(p)>;
                if constexpr (!std::is_same_v<P, CompleteFlows> && !std::is_same_v<P, InNetworkFlows>) {
                    for (std::int64_t r = 0; r < pl.group_size(); ++r)
                        for_each_out(p, r, [&](std::int64_t r2, double w) { add(g, r, r2, w); });
                }
            },
            pattern);
    }
    return out;
}

/// Routes one flow with the level's routing (mesh: shortest or all-path). Returns the hops.
template <class Sink>
std::int64_t route(const Fabric& f, GraphRouter& router, const Flow& fl, bool all_path, Sink&& sink) {
    const auto& lv = f.levels()[static_cast<std::size_t>(fl.level)];
    if (lv.kind == LevelKind::torus) return router.dor(fl.level, fl.src, fl.dst, fl.w, sink);
    router.target(fl.dst, fl.level);
    const std::int64_t hops = router.hops(fl.src);
    if (lv.kind == LevelKind::full_mesh && all_path) router.all_path(fl.level, fl.src, fl.dst, fl.w, sink);
    else router.ecmp(fl.src, fl.w, sink);
    return hops;
}

}  // namespace detail

namespace {

using topo::LinkId;
using topo::NodeId;

/// In-network reduction on the graph: every line's members send one unit up their links; a
/// switch passes up, split evenly over its up-links, as much as its largest contributor sent it
/// (the contributions are the same data, reduced); the result comes back down the same links.
void in_network_explicit(const Fabric& f, const Placement& pl, const InNetworkFlows& n, std::vector<double>& load,
                         StageLoads& s) {
    const auto& t = f.topology();
    const std::int64_t q = n.lines.length();
    if (q < 2) return;
    for (std::int64_t g = 0; g < pl.group_count(); ++g)
        for (std::int64_t r = 0; r < pl.group_size(); ++r) {
            if (n.lines.position(r) != 0) continue;
            std::vector<NodeId> m;
            for (std::int64_t j = 0; j < q; ++j) m.push_back(pl.accelerator(g, n.lines.rank_at(r, j)));
            int level = -1;
            for (const auto a : m)
                level = std::max(level, f.common_level(static_cast<std::int64_t>(m[0]), static_cast<std::int64_t>(a)));
            const auto& lv = f.levels()[static_cast<std::size_t>(level)];
            if (lv.kind != LevelKind::clos)
                throw CommError("in-network reduction needs a switched (Clos) level; level '" + lv.name +
                                "' is not one");
            std::vector<std::int64_t> leaves, pods;
            for (const auto a : m) leaves.push_back(lv.clos.leaf_of[a]);
            std::sort(leaves.begin(), leaves.end());
            leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
            for (const auto l : leaves) pods.push_back(lv.clos.pod_of[static_cast<std::size_t>(l)]);
            std::sort(pods.begin(), pods.end());
            pods.erase(std::unique(pods.begin(), pods.end()), pods.end());
            const int top = leaves.size() == 1 ? 1 : (lv.clos.tiers == 3 && pods.size() > 1 ? 3 : 2);
            s.level_hops[static_cast<std::size_t>(level)] =
                std::max<std::int64_t>(s.level_hops[static_cast<std::size_t>(level)], 2 * top);
            std::vector<std::pair<NodeId, double>> layer;
            for (const auto a : m) layer.emplace_back(a, 1.0);
            for (int tier = 0; tier < top; ++tier) {
                struct C {
                    NodeId to, from;
                    double a;
                };
                std::vector<C> contrib;
                for (const auto& [v, a] : layer) {
                    std::int64_t k = 0;
                    for (LinkId l = t.out_begin(v); l < t.out_end(v); ++l)
                        if (t.link_class(l).level == level && t.node_class(t.target(l)).tier == tier + 1) ++k;
                    for (LinkId l = t.out_begin(v); l < t.out_end(v); ++l) {
                        if (t.link_class(l).level != level || t.node_class(t.target(l)).tier != tier + 1) continue;
                        const double share = a / static_cast<double>(k);
                        load[l] += share * n.up;
                        load[t.reverse(l)] += share * n.down;
                        contrib.push_back({t.target(l), v, share});
                    }
                }
                std::sort(contrib.begin(), contrib.end(),
                          [](const C& x, const C& y) { return x.to != y.to ? x.to < y.to : x.from < y.from; });
                layer.clear();
                for (std::size_t i = 0; i < contrib.size();) {
                    double best = 0;
                    std::size_t j = i;
                    while (j < contrib.size() && contrib[j].to == contrib[i].to) {
                        double sum = 0;
                        const NodeId from = contrib[j].from;
                        while (j < contrib.size() && contrib[j].to == contrib[i].to && contrib[j].from == from)
                            sum += contrib[j++].a;
                        best = std::max(best, sum);
                    }
                    layer.emplace_back(contrib[i].to, best);
                    i = j;
                }
            }
            ++s.flows;
        }
}

}  // namespace

StageLoads explicit_loads(const Fabric& f, const Placement& pl, const Pattern& pattern, const LoadOptions& o,
                          std::vector<double>* per_link) {
    pl.validate(static_cast<std::uint64_t>(f.accelerators()));
    if (pattern_ranks(pattern) != pl.group_size())
        throw CommError("pattern over " + std::to_string(pattern_ranks(pattern)) + " ranks for groups of " +
                        std::to_string(pl.group_size()));
    const auto& t = f.topology();
    const auto& levels = f.levels();
    StageLoads s;
    s.class_max.assign(f.class_count(), 0.0);
    s.level_hops.assign(levels.size(), 0);
    s.mesh_routing.assign(levels.size(), MeshRouting::shortest);
    s.in_network = std::holds_alternative<InNetworkFlows>(pattern);
    std::vector<double> load(t.directed_link_count(), 0.0);
    const bool meshes = std::any_of(levels.begin(), levels.end(),
                                    [](const LevelView& l) { return l.kind == LevelKind::full_mesh; });
    const bool want_path = meshes && o.mesh_routing != MeshRouting::shortest;
    std::vector<double> path_load;
    if (want_path) path_load.assign(load.size(), 0.0);
    if (const auto* n = std::get_if<InNetworkFlows>(&pattern)) {
        in_network_explicit(f, pl, *n, load, s);
    } else {
        auto flows = detail::all_flows(f, pl, pattern, o.max_explicit_flows);
        std::sort(flows.begin(), flows.end(), [](const detail::Flow& a, const detail::Flow& b) {
            if (a.level != b.level) return a.level < b.level;
            return a.dst != b.dst ? a.dst < b.dst : a.src < b.src;
        });
        // Work bound: one search per (level, destination) over an instance of that level.
        double visits = 0;
        for (std::size_t i = 0; i < flows.size(); ++i) {
            if (i > 0 && flows[i].level == flows[i - 1].level && flows[i].dst == flows[i - 1].dst) continue;
            const auto& lv = levels[static_cast<std::size_t>(flows[i].level)];
            if (lv.kind == LevelKind::torus) continue;
            visits += static_cast<double>(t.node_count()) / static_cast<double>(std::max<std::int64_t>(lv.instances, 1));
        }
        if (visits > static_cast<double>(o.max_explicit_visits))
            throw CommError("explicit flows: about " + std::to_string(static_cast<std::uint64_t>(visits)) +
                            " node visits of breadth-first search (use the folded mode for instances this large)");
        detail::GraphRouter router(f);
        for (const auto& fl : flows) {
            const auto lvl = static_cast<std::size_t>(fl.level);
            const std::int64_t hops =
                detail::route(f, router, fl, false, [&](LinkId l, double a) { load[l] += a; });
            if (want_path && levels[lvl].kind == LevelKind::full_mesh)
                detail::route(f, router, fl, true, [&](LinkId l, double a) { path_load[l] += a; });
            s.level_hops[lvl] = std::max(s.level_hops[lvl], hops);
            ++s.flows;
        }
    }
    // Full-mesh levels: choose the routing per level.
    for (std::size_t li = 0; li < levels.size(); ++li) {
        if (levels[li].kind != LevelKind::full_mesh || !want_path) continue;
        auto level_time = [&](const std::vector<double>& v) {
            double m = 0;
            for (LinkId l = 0; l < v.size(); ++l) {
                const auto c = t.link_class_index(l);
                if (f.level_of_class(c) == static_cast<std::int64_t>(li)) m = std::max(m, v[l] / f.effective_Bps(c));
            }
            return m;
        };
        MeshRouting used = o.mesh_routing;
        if (used == MeshRouting::adaptive)
            used = level_time(path_load) < level_time(load) ? MeshRouting::all_path : MeshRouting::shortest;
        s.mesh_routing[li] = used;
        if (used == MeshRouting::all_path)
            for (LinkId l = 0; l < load.size(); ++l)
                if (f.level_of_class(t.link_class_index(l)) == static_cast<std::int64_t>(li)) load[l] = path_load[l];
    }
    for (LinkId l = 0; l < load.size(); ++l) {
        auto& m = s.class_max[t.link_class_index(l)];
        m = std::max(m, load[l]);
    }
    detail::finish(f, s);
    if (per_link) *per_link = std::move(load);
    return s;
}

StageLoads fair_loads(const Fabric& f, const Placement& pl, const Pattern& pattern, const LoadOptions& o) {
    StageLoads s = explicit_loads(f, pl, pattern, o);
    if (s.in_network) return s;
    auto flows = detail::all_flows(f, pl, pattern, o.max_fair_flows);
    const auto& t = f.topology();
    std::vector<std::size_t> dense(t.directed_link_count(), ~std::size_t{0});
    std::vector<double> capacity;
    std::vector<std::vector<std::pair<std::size_t, double>>> routes;
    std::vector<double> sizes;
    detail::GraphRouter router(f);
    for (const auto& fl : flows) {
        const bool all_path = s.mesh_routing[static_cast<std::size_t>(fl.level)] == MeshRouting::all_path;
        std::vector<std::pair<std::size_t, double>> r;
        detail::Flow unit = fl;
        unit.w = 1.0;
        detail::route(f, router, unit, all_path, [&](LinkId l, double a) {
            if (dense[l] == ~std::size_t{0}) {
                dense[l] = capacity.size();
                capacity.push_back(f.effective_Bps(t.link_class_index(l)));
            }
            r.emplace_back(dense[l], a);
        });
        std::sort(r.begin(), r.end());
        std::vector<std::pair<std::size_t, double>> merged;
        for (const auto& e : r) {
            if (!merged.empty() && merged.back().first == e.first) merged.back().second += e.second;
            else merged.push_back(e);
        }
        routes.push_back(std::move(merged));
        sizes.push_back(fl.w);
    }
    s.seconds_per_unit = max_min_makespan(capacity, routes, sizes);
    return s;
}

}  // namespace clustersim::comm
