#include "topo/reference.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

// GCC 12 at -O3 reports -Wmaybe-uninitialized inside Boost.Graph's adjacency_list edge iterator
// (an optional<> it fills before use) when Boykov-Kolmogorov is instantiated here; the warning
// is attributed to this file, so the system-header exemption does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/boykov_kolmogorov_max_flow.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/visitors.hpp>
#include <boost/property_map/property_map.hpp>

#include "topo/problem.hpp"

namespace clustersim::topo {

namespace {

using Csr = boost::compressed_sparse_row_graph<boost::directedS>;

void require_small(const Topology& t, std::uint64_t max_accelerators, const char* what) {
    if (t.accelerator_count() > max_accelerators)
        throw TopologyError(std::string(what) + " is limited to " + std::to_string(max_accelerators) +
                            " accelerators; this graph has " + std::to_string(t.accelerator_count()));
}

/// The directed links of the graph (of one level, or all) as a Boost compressed sparse row graph.
Csr to_boost(const Topology& t, std::optional<std::size_t> level) {
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    for (NodeId v = 0; v < t.node_count(); ++v)
        for (LinkId l = t.out_begin(v); l < t.out_end(v); ++l)
            if (!level || static_cast<std::size_t>(t.link_class(l).level) == *level) edges.emplace_back(v, t.target(l));
    return Csr(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(), t.node_count());
}

std::vector<std::int64_t> bfs(const Csr& g, std::size_t source) {
    std::vector<std::int64_t> dist(num_vertices(g), -1);
    dist[source] = 0;
    auto dmap = boost::make_iterator_property_map(dist.begin(), get(boost::vertex_index, g));
    boost::breadth_first_search(
        g, source, boost::visitor(boost::make_bfs_visitor(boost::record_distances(dmap, boost::on_tree_edge()))));
    return dist;
}

struct Accumulator {
    HopStats s;
    double sum = 0;
    void add(std::int64_t d) {
        if (d < 0) throw TopologyError("accelerators not connected through the expected links");
        s.pairs += 1;
        sum += static_cast<double>(d);
        s.diameter = std::max(s.diameter, d);
    }
    HopStats done() {
        s.average_hops = s.pairs > 0 ? sum / s.pairs : 0.0;
        return s;
    }
};

// Boykov-Kolmogorov needs these interior properties.
using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS,
    boost::property<
        boost::vertex_index_t, long,
        boost::property<boost::vertex_color_t, boost::default_color_type,
                        boost::property<boost::vertex_distance_t, long,
                                        boost::property<boost::vertex_predecessor_t, Traits::edge_descriptor>>>>,
    boost::property<boost::edge_capacity_t, long long,
                    boost::property<boost::edge_residual_capacity_t, long long,
                                    boost::property<boost::edge_reverse_t, Traits::edge_descriptor>>>>;

}  // namespace

HopStats exact_shortest_path_hops(const Topology& t, std::uint64_t max_accelerators) {
    require_small(t, max_accelerators, "exact_shortest_path_hops");
    const Csr g = to_boost(t, std::nullopt);
    Accumulator acc;
    for (std::size_t s = 0; s < t.accelerator_count(); ++s) {
        const auto dist = bfs(g, s);
        for (std::size_t v = s + 1; v < t.accelerator_count(); ++v) acc.add(dist[v]);
    }
    return acc.done();
}

HopStats exact_hierarchical_hops(const Topology& t, std::uint64_t max_accelerators) {
    require_small(t, max_accelerators, "exact_hierarchical_hops");
    std::vector<Csr> graphs;
    for (std::size_t l = 0; l < t.levels().size(); ++l) graphs.push_back(to_boost(t, l));
    Accumulator acc;
    const auto& levels = t.levels();
    for (std::size_t s = 0; s < t.accelerator_count(); ++s) {
        std::vector<std::vector<std::int64_t>> dist(levels.size());
        for (std::size_t v = s + 1; v < t.accelerator_count(); ++v) {
            std::size_t l = 0;
            while (s / static_cast<std::size_t>(levels[l].group_size) !=
                   v / static_cast<std::size_t>(levels[l].group_size))
                ++l;
            if (dist[l].empty()) dist[l] = bfs(graphs[l], s);
            acc.add(dist[l][v]);
        }
    }
    return acc.done();
}

HopStats exact_level_hops(const Topology& t, std::size_t level, std::uint64_t max_accelerators) {
    require_small(t, max_accelerators, "exact_level_hops");
    const Csr g = to_boost(t, level);
    const auto n = static_cast<std::size_t>(t.levels().at(level).group_size);
    Accumulator acc;
    for (std::size_t s = 0; s < n; ++s) {
        const auto dist = bfs(g, s);
        for (std::size_t v = s + 1; v < n; ++v) acc.add(dist[v]);
    }
    return acc.done();
}

namespace {

/// The graph's links (all, or one level's) as a flow network with a source and a sink edge at
/// every active accelerator; a split only sets those edges' capacities, so one network serves
/// every split.
class CutFlow {
public:
    CutFlow(const Topology& t, std::optional<std::size_t> level) : g_(t.node_count() + 2) {
        const std::size_t n = t.node_count();
        source_ = n;
        sink_ = n + 1;
        long long total = 0;
        for (NodeId v = 0; v < n; ++v) {
            for (LinkId l = t.out_begin(v); l < t.out_end(v); ++l) {
                if (level && static_cast<std::size_t>(t.link_class(l).level) != *level) continue;
                const long long c = std::llround(t.bandwidth(l).si());
                add(v, t.target(l), c);
                total += c;
            }
        }
        infinite_ = total + 1;
        for (std::size_t i = 0; i < t.accelerator_count(); ++i) {
            from_source_.push_back(add(source_, i, 0));
            to_sink_.push_back(add(i, sink_, 0));
        }
    }

    double flow(const std::vector<std::uint8_t>& side) {
        auto cap = get(boost::edge_capacity, g_);
        for (std::size_t i = 0; i < side.size(); ++i) {
            cap[from_source_[i]] = side[i] == 0 ? infinite_ : 0;
            cap[to_sink_[i]] = side[i] == 1 ? infinite_ : 0;
        }
        return static_cast<double>(boost::boykov_kolmogorov_max_flow(g_, source_, sink_));
    }

private:
    Traits::edge_descriptor add(std::size_t u, std::size_t v, long long c) {
        auto cap = get(boost::edge_capacity, g_);
        auto rev = get(boost::edge_reverse, g_);
        const auto e = add_edge(u, v, g_).first;
        const auto r = add_edge(v, u, g_).first;
        cap[e] = c;
        cap[r] = 0;
        rev[e] = r;
        rev[r] = e;
        return e;
    }

    FlowGraph g_;
    std::size_t source_ = 0, sink_ = 0;
    long long infinite_ = 0;
    std::vector<Traits::edge_descriptor> from_source_, to_sink_;
};

}  // namespace

double exact_cut_flow_Bps(const Topology& t, const std::vector<std::uint8_t>& side, std::optional<std::size_t> level) {
    if (side.size() != t.accelerator_count())
        throw TopologyError("exact_cut_flow_Bps: one side entry per active accelerator is needed");
    CutFlow f(t, level);
    return f.flow(side);
}

std::vector<std::uint8_t> prefix_split(const Topology& t, std::uint64_t first, std::uint64_t n, std::uint64_t a) {
    std::vector<std::uint8_t> side(t.accelerator_count(), 2);
    for (std::uint64_t i = 0; i < n; ++i) side[first + i] = i < a ? 0 : 1;
    return side;
}

double exact_bisection_Bps(const Topology& t, std::uint64_t max_accelerators) {
    require_small(t, std::min<std::uint64_t>(max_accelerators, 24), "exact_bisection_Bps");
    const std::uint64_t n = t.accelerator_count();
    const std::uint64_t half = n / 2;
    const bool direct = t.switch_count() == 0 && t.spare_count() == 0;
    double best = -1;
    std::vector<std::uint8_t> side(n);
    std::optional<CutFlow> cut;
    if (!direct) cut.emplace(t, std::nullopt);
    // Subsets of size floor(n/2) in increasing order (Gosper's hack). For even n, the halves'
    // flows are symmetric, so only subsets without the last accelerator are needed.
    const std::uint64_t limit = std::uint64_t{1} << n;
    for (std::uint64_t set = (std::uint64_t{1} << half) - 1; set < limit;) {
        if (!(n % 2 == 0 && (set >> (n - 1)) != 0)) {
            double flow = 0;
            if (direct) {
                for (NodeId v = 0; v < n; ++v)
                    if ((set >> v) & 1)
                        for (LinkId l = t.out_begin(v); l < t.out_end(v); ++l)
                            if (!((set >> t.target(l)) & 1)) flow += t.bandwidth(l).si();
            } else {
                for (std::uint64_t i = 0; i < n; ++i) side[i] = (set >> i) & 1 ? 0 : 1;
                flow = cut->flow(side);
            }
            if (best < 0 || flow < best) best = flow;
        }
        if (set == 0) break;
        const std::uint64_t c = set & (~set + 1);
        const std::uint64_t r = set + c;
        set = (((r ^ set) >> 2) / c) | r;
    }
    return best;
}

}  // namespace clustersim::topo
