// build(): lays out node ids from the closed-form shapes (structure.hpp), then runs the same
// wiring twice over the compressed-sparse-row arrays: once to count degrees, once to fill.
// No edge list is ever held, so peak memory is the final graph.
#include <algorithm>
#include <limits>

#include "topo/problem.hpp"
#include "topo/structure.hpp"
#include "topo/topology.hpp"
#include "topo/validate.hpp"

namespace clustersim::topo {

namespace {

struct LevelPlan {
    LevelParams params;
    detail::LevelShape shape;
    std::int64_t groups = 0;
    std::int64_t spare_base = 0;            ///< first spare id of this level
    NodeId switch_base = 0;                 ///< first switch id of this level
    std::int64_t switches_per_plane = 0;    ///< per group and plane, all tiers
    std::vector<std::int64_t> tier_offset;  ///< within one group-plane block
    std::uint16_t node_class_base = 0;      ///< class of tier 1
    std::uint16_t link_class_base = 0;      ///< class of (block b, plane p) = base + b * planes + p

    [[nodiscard]] NodeId switch_id(std::int64_t group, std::int64_t plane, std::size_t tier, std::int64_t index) const {
        return switch_base +
               static_cast<NodeId>((group * shape.planes + plane) * switches_per_plane + tier_offset[tier] + index);
    }
    [[nodiscard]] std::uint16_t link_class(std::int64_t block, std::int64_t plane) const {
        return static_cast<std::uint16_t>(link_class_base + block * shape.planes + plane);
    }
};

struct Plan {
    std::int64_t accelerators = 0;
    std::int64_t spares = 0;
    std::uint64_t nodes = 0;
    std::uint64_t links = 0;
    std::vector<LevelPlan> levels;
};

NodeId id(std::int64_t v) { return static_cast<NodeId>(v); }

Plan make_plan(const HierarchicalParams& p) {
    Plan plan;
    plan.accelerators = p.levels.back().group_size;
    std::uint16_t node_class = 2;  // 0 accelerator, 1 spare
    std::uint16_t link_class = 0;
    for (const auto& lp : p.levels) {
        LevelPlan l;
        l.params = lp;
        l.shape = detail::level_shape(lp);
        l.groups = plan.accelerators / lp.group_size;
        l.spare_base = plan.spares;
        plan.spares += l.shape.spares * l.groups;
        std::int64_t off = 0;
        for (const auto& s : l.shape.switches) {
            l.tier_offset.push_back(off);
            off += s.per_plane;
        }
        l.switches_per_plane = off;
        l.node_class_base = node_class;
        node_class = static_cast<std::uint16_t>(node_class + l.shape.switches.size());
        l.link_class_base = link_class;
        const std::int64_t classes = static_cast<std::int64_t>(l.shape.links.size()) * l.shape.planes;
        if (link_class + classes > std::numeric_limits<std::uint16_t>::max())
            throw TopologyError("too many link classes (more than 65,535 parallel planes and link kinds)");
        link_class = static_cast<std::uint16_t>(link_class + classes);
        for (const auto& b : l.shape.links)
            plan.links += static_cast<std::uint64_t>(b.per_plane * l.shape.planes * l.groups);
        plan.levels.push_back(std::move(l));
    }
    NodeId next = id(plan.accelerators + plan.spares);
    for (auto& l : plan.levels) {
        l.switch_base = next;
        next += id(l.switches_per_plane * l.shape.planes * l.groups);
    }
    plan.nodes = next;
    return plan;
}

// ------------------------------------------------------------------------------ wiring

template <class Sink>
void wire_clos(const LevelPlan& l, const ClosNetwork& n, std::int64_t group, Sink& sink) {
    const detail::ClosShape s = detail::clos_shape(n, l.params.group_size);
    const std::int64_t first = group * l.params.group_size;
    for (std::int64_t plane = 0; plane < n.planes; ++plane) {
        const auto host = l.link_class(0, plane);
        for (std::int64_t i = 0; i < s.group; ++i) {
            const NodeId leaf = l.switch_id(group, plane, 0, s.leaf_of(i));
            for (std::int64_t k = 0; k < s.h; ++k) sink(id(first + i), leaf, host);
        }
        if (s.tiers == 2) {
            // Each leaf's u1 up-links: m1 parallel links to each of the tier2 spines (none for one leaf).
            const auto up = l.link_class(1, plane);
            for (std::int64_t leaf = 0; leaf < s.leaves; ++leaf)
                for (std::int64_t j = 0; j < s.tier2; ++j)
                    for (std::int64_t k = 0; k < s.m1; ++k)
                        sink(l.switch_id(group, plane, 0, leaf), l.switch_id(group, plane, 1, j), up);
        } else if (s.tiers == 3) {
            const auto up = l.link_class(1, plane);
            const auto core = l.link_class(2, plane);
            for (std::int64_t leaf = 0; leaf < s.leaves; ++leaf) {
                const std::int64_t pod = leaf / s.leaves_per_pod;
                for (std::int64_t j = 0; j < s.u1; ++j)
                    sink(l.switch_id(group, plane, 0, leaf), l.switch_id(group, plane, 1, pod * s.u1 + j), up);
            }
            // Aggregation switch j of every pod: m2 parallel links to each of core group j's
            // core_per_group switches (none for one pod).
            for (std::int64_t pod = 0; pod < s.pods; ++pod)
                for (std::int64_t j = 0; j < s.u1; ++j)
                    for (std::int64_t c = 0; c < s.core_per_group; ++c)
                        for (std::int64_t k = 0; k < s.m2; ++k)
                            sink(l.switch_id(group, plane, 1, pod * s.u1 + j),
                                 l.switch_id(group, plane, 2, j * s.core_per_group + c), core);
        }
    }
}

template <class Sink>
void wire_mesh(const LevelPlan& l, const FullMeshNetwork& m, std::int64_t group, std::int64_t accelerators,
               Sink& sink) {
    const std::int64_t g = l.params.group_size;
    const std::int64_t first = group * g;
    const std::size_t dims = m.dims.size();
    for (std::int64_t i = 0; i < g; ++i) {
        std::int64_t stride = 1;
        for (std::size_t d = 0; d < dims; ++d) {
            const std::int64_t k = m.dims[d].size;
            const std::int64_t c = i / stride % k;
            const auto cls = l.link_class(static_cast<std::int64_t>(d), 0);
            for (std::int64_t c2 = c + 1; c2 < k; ++c2) sink(id(first + i), id(first + i + (c2 - c) * stride), cls);
            stride *= k;
        }
    }
    if (m.spares_per_block > 0) {
        const std::int64_t k0 = m.dims.front().size;
        const std::int64_t blocks = g / m.spare_block;
        const auto cls = l.link_class(static_cast<std::int64_t>(dims), 0);
        for (std::int64_t b = 0; b < blocks; ++b) {
            for (std::int64_t sp = 0; sp < m.spares_per_block; ++sp) {
                const NodeId spare = id(accelerators + l.spare_base + (group * blocks + b) * m.spares_per_block + sp);
                for (std::int64_t line = 0; line < m.spare_block / k0; ++line)
                    sink(spare, id(first + b * m.spare_block + line * k0 + (line + sp) % k0), cls);
            }
        }
    }
}

template <class Sink>
void wire_torus(const LevelPlan& l, const TorusNetwork& t, std::int64_t group, Sink& sink) {
    const std::int64_t g = l.params.group_size;
    const std::int64_t first = group * g;
    for (std::int64_t i = 0; i < g; ++i) {
        std::int64_t stride = 1;
        for (std::size_t d = 0; d < t.dims.size(); ++d) {
            const std::int64_t k = t.dims[d];
            const std::int64_t c = i / stride % k;
            if (k >= 3 || c == 0) {
                const std::int64_t c2 = (c + 1) % k;
                sink(id(first + i), id(first + i + (c2 - c) * stride), l.link_class(static_cast<std::int64_t>(d), 0));
            }
            stride *= k;
        }
    }
}

template <class Sink>
void wire_dragonfly(const LevelPlan& l, const DragonflyNetwork& d, std::int64_t group, Sink& sink) {
    const std::int64_t p = d.terminals_per_router, a = d.routers_per_group;
    auto router = [&](std::int64_t grp, std::int64_t r) { return l.switch_id(group, 0, 0, grp * a + r); };
    const std::int64_t n = p * a * d.groups;
    const std::int64_t first = group * n;
    for (std::int64_t i = 0; i < n; ++i) sink(id(first + i), router(i / p / a, i / p % a), l.link_class(0, 0));
    for (std::int64_t grp = 0; grp < d.groups; ++grp)
        for (std::int64_t r = 0; r < a; ++r)
            for (std::int64_t r2 = r + 1; r2 < a; ++r2) sink(router(grp, r), router(grp, r2), l.link_class(1, 0));
    for (std::int64_t grp = 0; grp < d.groups; ++grp)
        for (std::int64_t r = 0; r < a; ++r)
            for (std::int64_t port = 0; port < d.global_links_per_router; ++port) {
                const auto end = detail::dragonfly_global_end(d, grp, r, port);
                if (grp < end.group) sink(router(grp, r), router(end.group, end.router), l.link_class(2, 0));
            }
}

template <class Sink>
void wire(const Plan& plan, Sink& sink) {
    for (const auto& l : plan.levels) {
        for (std::int64_t group = 0; group < l.groups; ++group) {
            if (const auto* c = std::get_if<ClosNetwork>(&l.params.network)) wire_clos(l, *c, group, sink);
            if (const auto* m = std::get_if<FullMeshNetwork>(&l.params.network))
                wire_mesh(l, *m, group, plan.accelerators, sink);
            if (const auto* t = std::get_if<TorusNetwork>(&l.params.network)) wire_torus(l, *t, group, sink);
            if (const auto* d = std::get_if<DragonflyNetwork>(&l.params.network)) wire_dragonfly(l, *d, group, sink);
        }
    }
}

std::string with_commas(std::uint64_t v) {
    std::string s = std::to_string(v);
    for (auto i = static_cast<std::ptrdiff_t>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

}  // namespace

std::string_view to_string(NodeKind k) {
    switch (k) {
        case NodeKind::accelerator: return "accelerator";
        case NodeKind::spare_accelerator: return "spare";
        case NodeKind::switch_node: return "switch";
    }
    return "?";
}

std::string_view to_string(Medium m) { return m == Medium::optical ? "optical" : "electrical"; }
std::string_view to_string(PlaneKind k) { return k == PlaneKind::scale_up ? "scale-up" : "scale-out"; }

NodeId Topology::source(LinkId l) const {
    const auto it = std::upper_bound(offsets_.begin(), offsets_.end(), l);
    return static_cast<NodeId>(it - offsets_.begin() - 1);
}

LinkId Topology::reverse(LinkId l) const {
    const NodeId u = source(l), v = targets_[l];
    // Both directions of a link are written by one wiring call, so the k-th u->v entry of u
    // and the k-th v->u entry of v are the same link.
    std::uint64_t rank = 0;
    for (LinkId e = offsets_[u]; e < l; ++e) rank += targets_[e] == v ? 1U : 0U;
    for (LinkId e = offsets_[v]; e < offsets_[v + 1]; ++e) {
        if (targets_[e] != u) continue;
        if (rank == 0) return e;
        --rank;
    }
    throw TopologyError("link without a reverse direction (corrupt graph)");
}

std::uint64_t Topology::memory_bytes() const {
    return offsets_.capacity() * sizeof(std::uint64_t) + targets_.capacity() * sizeof(NodeId) +
           link_class_.capacity() * sizeof(std::uint16_t) + node_class_.capacity() * sizeof(std::uint16_t);
}

Topology build(const TopologyParams& p, const BuildLimits& limits) {
    require_valid(p);
    return build(to_hierarchical(p), limits);
}

Topology build(const HierarchicalParams& p, const BuildLimits& limits) {
    require_valid(TopologyParams{p});
    const Plan plan = make_plan(p);
    if (plan.links > limits.max_links || plan.nodes > limits.max_nodes)
        throw TopologyError("the graph would have " + with_commas(plan.nodes) + " nodes and " +
                            with_commas(plan.links) + " links; build() is limited to " + with_commas(limits.max_nodes) +
                            " nodes and " + with_commas(limits.max_links) +
                            " links (use analyze() for closed-form figures, or raise BuildLimits)");

    Topology t;
    t.description_ = p;
    t.accelerators_ = id(plan.accelerators);
    t.spares_ = id(plan.spares);
    t.node_classes_.push_back({NodeKind::accelerator, "accelerator", -1, 0, 0});
    t.node_classes_.push_back({NodeKind::spare_accelerator, "spare", -1, 0, 0});
    for (std::size_t li = 0; li < plan.levels.size(); ++li) {
        const auto& l = plan.levels[li];
        const auto level = static_cast<std::int64_t>(li);
        t.levels_.push_back({l.params.name, l.params.plane_kind, l.params.group_size, l.shape.planes});
        for (const auto& s : l.shape.switches)
            t.node_classes_.push_back({NodeKind::switch_node, s.name, level, s.tier, s.radix});
        for (const auto& b : l.shape.links)
            for (std::int64_t plane = 0; plane < l.shape.planes; ++plane)
                t.link_classes_.push_back({b.name, level, plane, b.spec});
    }

    // Node classes.
    t.node_class_.assign(plan.nodes, 0);
    std::fill(t.node_class_.begin() + plan.accelerators, t.node_class_.begin() + plan.accelerators + plan.spares, 1);
    for (const auto& l : plan.levels)
        for (std::int64_t group = 0; group < l.groups; ++group)
            for (std::int64_t plane = 0; plane < l.shape.planes; ++plane)
                for (std::size_t tier = 0; tier < l.shape.switches.size(); ++tier) {
                    const NodeId first = l.switch_id(group, plane, tier, 0);
                    const auto cls = static_cast<std::uint16_t>(l.node_class_base + tier);
                    std::fill_n(t.node_class_.begin() + static_cast<std::ptrdiff_t>(first),
                                l.shape.switches[tier].per_plane, cls);
                }

    // Pass 1: degrees, then offsets[v] = start of v's entries.
    t.offsets_.assign(plan.nodes + 1, 0);
    auto& off = t.offsets_;
    auto count = [&off](NodeId u, NodeId v, std::uint16_t) {
        ++off[u + 1];
        ++off[v + 1];
    };
    wire(plan, count);
    for (std::uint64_t v = 0; v < plan.nodes; ++v) off[v + 1] += off[v];
    // Pass 2: fill, using offsets[v] as v's cursor; it ends at the start of v + 1, so shift back.
    t.targets_.resize(off.back());
    t.link_class_.resize(off.back());
    auto& tg = t.targets_;
    auto& lc = t.link_class_;
    auto fill = [&](NodeId u, NodeId v, std::uint16_t cls) {
        const auto eu = off[u]++;
        tg[eu] = v;
        lc[eu] = cls;
        const auto ev = off[v]++;
        tg[ev] = u;
        lc[ev] = cls;
    };
    wire(plan, fill);
    for (std::uint64_t v = plan.nodes; v > 0; --v) off[v] = off[v - 1];
    off[0] = 0;
    return t;
}

std::vector<std::int32_t> hop_distances(const Topology& t, NodeId source) {
    std::vector<std::int32_t> dist(t.node_count(), -1);
    std::vector<NodeId> queue(t.node_count());
    if (source >= dist.size() || source >= queue.size())
        throw TopologyError("hop_distances: no node " + std::to_string(source));
    std::size_t head = 0, tail = 0;
    dist[source] = 0;
    queue[tail++] = source;
    while (head < tail) {
        const NodeId v = queue[head++];
        const std::int32_t dv = dist[v] + 1;
        for (const NodeId w : t.neighbours(v)) {
            if (dist[w] >= 0) continue;
            dist[w] = dv;
            queue[tail++] = w;
        }
    }
    return dist;
}

}  // namespace clustersim::topo
