#pragma once
// Text for `clustersim list` and `clustersim show`.
#include <string>

#include "catalog/catalog.hpp"
#include "comm/algorithms.hpp"
#include "topo/registry.hpp"
#include "topo/topology.hpp"

namespace clustersim::app {

std::string list_chips(const catalog::Catalog& cat);
std::string list_systems(const catalog::Catalog& cat);
std::string show_chip(const catalog::ChipSpec& chip);
std::string show_system(const catalog::Catalog& cat, const catalog::SystemSpec& system);
/// One line per workload: id, name, layers, hidden, published parameters, dense or MoE.
std::string list_workloads(const catalog::Catalog& cat);
/// The fleet reliability profiles (models/reliability/): each part's MTBF and the restart time.
std::string list_reliability(const catalog::Catalog& cat);
/// Every field of a workload file, and its sources.
std::string show_workload(const catalog::WorkloadSpec& workload);
/// The registered collective algorithms: name, collectives, one-line description.
std::string list_algorithms(const comm::AlgorithmRegistry& registry);
std::string list_topologies(const topo::BuilderRegistry& registry);
/// The topology's closed-form metrics; with `built`, also the graph's own counts and size.
std::string show_topology(const std::string& name, const catalog::TopologySpec& t, const topo::Topology* built,
                          double build_seconds);

}  // namespace clustersim::app
