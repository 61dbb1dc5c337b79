#pragma once
// A small graph as DOT (Graphviz) or GraphML text, for drawing and for other tools. Large
// graphs are refused: a million-node drawing helps nobody, and the text would be gigabytes.
#include <cstdint>
#include <string>

#include "topo/topology.hpp"

namespace clustersim::topo {

struct ExportLimits {
    std::uint64_t max_nodes = 10'000;
    std::uint64_t max_links = 100'000;
};

/// Undirected DOT graph: one node per accelerator/switch, one edge per physical link, with
/// kind, class, level, plane, bandwidth (bytes/s, one direction), latency (s) and medium.
/// Throws TopologyError above `limits`.
std::string to_dot(const Topology& t, const ExportLimits& limits = {});

/// The same as GraphML (http://graphml.graphdrawing.org/xmlns), with typed attribute keys.
std::string to_graphml(const Topology& t, const ExportLimits& limits = {});

}  // namespace clustersim::topo
