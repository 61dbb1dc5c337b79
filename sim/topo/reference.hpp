#pragma once
// Slow, obviously correct references for small graphs, built on Boost.Graph: all-pairs
// breadth-first search and max-flow (Boykov-Kolmogorov). The tests compare analyze()'s closed
// forms against these; they are also usable on any small topology. Boost stays inside this
// layer's .cpp files.
#include <cstdint>
#include <optional>
#include <vector>

#include "topo/topology.hpp"

namespace clustersim::topo {

struct HopStats {
    std::int64_t diameter = 0;
    double average_hops = 0;  ///< over unordered pairs of active accelerators
    double pairs = 0;
};

/// Shortest paths between every pair of active accelerators over the whole graph.
/// Refuses (TopologyError) above `max_accelerators`.
HopStats exact_shortest_path_hops(const Topology& t, std::uint64_t max_accelerators = 4096);

/// Hierarchical routing: each pair's shortest path through the links of the lowest level whose
/// group holds both (what Metrics::diameter and average_hops describe).
HopStats exact_hierarchical_hops(const Topology& t, std::uint64_t max_accelerators = 4096);

/// Shortest paths through one level's links only, between the accelerators of its first group
/// (what LevelMetrics::diameter and average_hops describe).
HopStats exact_level_hops(const Topology& t, std::size_t level, std::uint64_t max_accelerators = 4096);

/// Max-flow, one direction, from the active accelerators with side[i] == 0 to those with
/// side[i] == 1 (side has one entry per active accelerator; other values leave it out), through
/// every link or only the links of `level`. Bandwidths are rounded to whole bytes/s.
double exact_cut_flow_Bps(const Topology& t, const std::vector<std::uint8_t>& side,
                          std::optional<std::size_t> level = std::nullopt);

/// A side vector: the first `a` accelerators of [first, first + n) on side 0, the rest of that
/// range on side 1, every other accelerator left out.
std::vector<std::uint8_t> prefix_split(const Topology& t, std::uint64_t first, std::uint64_t n, std::uint64_t a);

/// Minimum over every split of the active accelerators into floor(N/2) and ceil(N/2) of the
/// max-flow between the halves (exhaustive). Refuses above `max_accelerators` (at most 24).
double exact_bisection_Bps(const Topology& t, std::uint64_t max_accelerators = 16);

}  // namespace clustersim::topo
