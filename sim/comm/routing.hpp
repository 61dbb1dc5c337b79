#pragma once
// Internal to the collective layer (not an API): routing of single flows on the built graph, used
// by the explicit flow-by-flow mode, the max-min fair reference and the folded mode's dragonfly
// levels. Every function reports each directed link a flow crosses with the amount it carries
// there through sink(LinkId, amount).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "comm/error.hpp"
#include "comm/fabric.hpp"

namespace clustersim::comm::detail {

/// Dimension-order routing inside one torus instance (local indices): dimensions are fixed in order,
/// each the shorter way round; a tie splits the flow evenly over both ways, and a dimension of 2 has a
/// single link (always "forward"). Calls hop(from, to, dimension, direction, weight) for every hop and
/// returns the hop count. Both flow modes (explicit and folded) route tori with this one rule.
template <class Hop>
std::int64_t dimension_order(const GridLevel& g, std::int64_t cur, std::int64_t target, double w, Hop&& hop) {
    std::int64_t hops = 0;
    auto walk = [&](std::int64_t from, std::size_t d, std::int64_t dir, std::int64_t steps, double a) {
        const std::int64_t k = g.dims[d], s = g.strides[d];
        for (std::int64_t i = 0; i < steps; ++i) {
            const std::int64_t c = from / s % k;
            const std::int64_t to = from + (((c + dir + k) % k) - c) * s;
            hop(from, to, d, dir, a);
            from = to;
        }
    };
    for (std::size_t d = 0; d < g.dims.size(); ++d) {
        const std::int64_t k = g.dims[d], s = g.strides[d];
        const std::int64_t cx = cur / s % k, cy = target / s % k;
        if (cx == cy) continue;
        const std::int64_t fwd = (cy - cx + k) % k, bwd = k - fwd;
        if (fwd < bwd || k == 2) {
            walk(cur, d, +1, fwd, w);
        } else if (bwd < fwd) {
            walk(cur, d, -1, bwd, w);
        } else {
            walk(cur, d, +1, fwd, w / 2);
            walk(cur, d, -1, bwd, w / 2);
        }
        hops += std::min(fwd, bwd);
        cur += (cy - cx) * s;
    }
    return hops;
}

using topo::LinkId;
using topo::NodeId;

class GraphRouter {
public:
    explicit GraphRouter(const Fabric& f)
        : f_(&f), t_(&f.topology()), dist_(f.topology().node_count(), -1) {}

    /// Breadth-first search from `dst` over the links of `level` only; later ecmp() and hops()
    /// calls route towards dst. Spare accelerators carry no traffic (they are idle backups).
    /// Repeated calls with the same target cost nothing.
    void target(NodeId dst, int level) {
        if (dst == dst_ && level == level_) return;
        for (const NodeId v : touched_) dist_[v] = -1;
        touched_.clear();
        dst_ = dst;
        level_ = level;
        dist_[dst] = 0;
        touched_.push_back(dst);
        for (std::size_t head = 0; head < touched_.size(); ++head) {
            const NodeId v = touched_[head];
            for (LinkId l = t_->out_begin(v); l < t_->out_end(v); ++l) {
                if (t_->link_class(l).level != level) continue;
                const NodeId w = t_->target(l);
                if (dist_[w] >= 0 || t_->kind(w) == topo::NodeKind::spare_accelerator) continue;
                dist_[w] = dist_[v] + 1;
                touched_.push_back(w);
            }
        }
    }

    [[nodiscard]] std::int32_t hops(NodeId src) const { return dist_[src]; }

    /// Shortest paths to the target, split evenly over the next hops at every node (ECMP).
    template <class Sink>
    void ecmp(NodeId src, double w, Sink&& sink) {
        if (dist_[src] < 0) throw CommError("routing: no path inside the level (corrupt topology)");
        layer_.assign(1, {src, w});
        while (!layer_.empty() && dist_[layer_.front().first] > 0) {
            next_.clear();
            for (const auto& [v, a] : layer_) {
                const std::int32_t want = dist_[v] - 1;
                std::int64_t k = 0;
                for (LinkId l = t_->out_begin(v); l < t_->out_end(v); ++l)
                    if (t_->link_class(l).level == level_ && dist_[t_->target(l)] == want) ++k;
                const double share = a / static_cast<double>(k);
                for (LinkId l = t_->out_begin(v); l < t_->out_end(v); ++l) {
                    if (t_->link_class(l).level != level_ || dist_[t_->target(l)] != want) continue;
                    sink(l, share);
                    next_.emplace_back(t_->target(l), share);
                }
            }
            std::sort(next_.begin(), next_.end());
            layer_.clear();
            for (const auto& [v, a] : next_) {
                if (!layer_.empty() && layer_.back().first == v) layer_.back().second += a;
                else layer_.emplace_back(v, a);
            }
        }
    }

    /// The directed link u -> v of `level` (the first, when there are parallel links).
    [[nodiscard]] LinkId find_link(NodeId u, NodeId v, int level) const {
        for (LinkId l = t_->out_begin(u); l < t_->out_end(u); ++l)
            if (t_->target(l) == v && t_->link_class(l).level == level) return l;
        throw CommError("routing: no link " + std::to_string(u) + " -> " + std::to_string(v));
    }

    /// Torus: dimension order, the shorter way round, half each way on a tie. x, y: accelerators
    /// of one instance of `level`. Returns the hop count.
    template <class Sink>
    std::int64_t dor(int level, NodeId x, NodeId y, double w, Sink&& sink) const {
        const auto& lv = f_->levels()[static_cast<std::size_t>(level)];
        const auto& g = lv.grid;
        const auto base = static_cast<std::int64_t>(x) / lv.group_size * lv.group_size;
        const std::int64_t cur = static_cast<std::int64_t>(x) - base;
        const std::int64_t yl = static_cast<std::int64_t>(y) - base;
        return dimension_order(g, cur, yl, w, [&](std::int64_t from, std::int64_t to, std::size_t, std::int64_t, double a) {
            sink(find_link(static_cast<NodeId>(base + from), static_cast<NodeId>(base + to), level), a);
        });
    }

    /// Full mesh, all-path routing (UB-Mesh APR): split evenly over the dimensions still to fix
    /// at every node (as shortest-path ECMP does); each one-dimension hop u -> v is split evenly
    /// over the direct link and the two-hop detours u -> z -> v through the other members of the line.
    template <class Sink>
    void all_path(int level, NodeId x, NodeId y, double w, Sink&& sink) const {
        const auto& lv = f_->levels()[static_cast<std::size_t>(level)];
        const auto base = static_cast<std::int64_t>(x) / lv.group_size * lv.group_size;
        all_path_local(lv, level, base, static_cast<std::int64_t>(x) - base, static_cast<std::int64_t>(y) - base, w,
                       sink);
    }

private:
    template <class Sink>
    void all_path_local(const LevelView& lv, int level, std::int64_t base, std::int64_t u, std::int64_t y, double w,
                        Sink& sink) const {
        const auto& g = lv.grid;
        std::vector<std::size_t> differ;
        for (std::size_t d = 0; d < g.dims.size(); ++d)
            if (u / g.strides[d] % g.dims[d] != y / g.strides[d] % g.dims[d]) differ.push_back(d);
        if (differ.empty()) return;
        const double share = w / static_cast<double>(differ.size());
        auto link = [&](std::int64_t a, std::int64_t b) {
            return find_link(static_cast<NodeId>(base + a), static_cast<NodeId>(base + b), level);
        };
        for (const std::size_t d : differ) {
            const std::int64_t k = g.dims[d], s = g.strides[d];
            const std::int64_t cu = u / s % k, cy = y / s % k;
            const std::int64_t v = u + (cy - cu) * s;
            const double piece = share / static_cast<double>(k - 1);
            sink(link(u, v), piece);
            for (std::int64_t c = 0; c < k; ++c) {
                if (c == cu || c == cy) continue;
                const std::int64_t z = u + (c - cu) * s;
                sink(link(u, z), piece);
                sink(link(z, v), piece);
            }
            all_path_local(lv, level, base, v, y, share, sink);
        }
    }

    const Fabric* f_;
    const topo::Topology* t_;
    std::vector<std::int32_t> dist_;
    std::vector<NodeId> touched_;
    NodeId dst_ = ~NodeId{0};
    int level_ = -1;
    std::vector<std::pair<NodeId, double>> layer_, next_;
};

}  // namespace clustersim::comm::detail
