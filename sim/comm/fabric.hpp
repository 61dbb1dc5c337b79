#pragma once
// The topology as the collective layer sees it: for every level, the structure its routing needs
// (Clos leaves and pods read off the built graph, mesh and torus coordinates from the level's
// parameters) and the graph's link classes with their effective bandwidths. Hierarchical routing:
// a flow between two accelerators uses only the links of the lowest level whose group (an
// "instance" of that level) holds both; within a level:
//  - Clos: up/down routing, split evenly over equal-cost paths (ECMP) and over planes;
//  - full mesh (nD, UB-Mesh): shortest paths split evenly over dimension orders, or all-path
//    routing (MeshRouting);
//  - torus: dimension order, shorter way round, split evenly on ties;
//  - dragonfly: shortest paths split evenly at every hop (ECMP on the graph).
// The Fabric refers to the Topology it was built from, which must outlive it.
#include <cstdint>
#include <string>
#include <vector>

#include "comm/cost.hpp"
#include "topo/topology.hpp"

namespace clustersim::comm {

enum class LevelKind : std::uint8_t { clos, full_mesh, torus, graph };

/// One level of a Clos (fat-tree) in one plane; all planes are identical.
struct ClosLevel {
    int tiers = 1;
    std::int64_t h = 1;       ///< links from an accelerator to its leaf, per plane
    std::int64_t u1 = 0;      ///< up links per leaf
    std::int64_t u2 = 0;      ///< up links per tier-2 switch (3 tiers)
    std::int64_t leaves = 0;  ///< all instances
    std::int64_t pods = 0;    ///< all instances (3 tiers); else one per instance
    std::vector<std::int64_t> leaf_of;  ///< per active accelerator: dense leaf index (plane 0)
    std::vector<std::int64_t> pod_of;   ///< per leaf: dense pod index
    std::uint16_t class_down = 0;       ///< accelerator-leaf link class, plane 0
    std::uint16_t class_up1 = 0;        ///< leaf-tier 2, plane 0
    std::uint16_t class_up2 = 0;        ///< tier 2-tier 3, plane 0
};

/// Coordinates of a mesh or torus level (dimension 0 fastest).
struct GridLevel {
    std::vector<std::int64_t> dims;
    std::vector<std::int64_t> strides;
    std::vector<std::uint16_t> dim_class;  ///< link class of each dimension
};

struct LevelView {
    std::string name;
    LevelKind kind = LevelKind::graph;
    std::int64_t group_size = 0;  ///< accelerators per instance
    std::int64_t instances = 0;
    std::int64_t planes = 1;
    ClosLevel clos;
    GridLevel grid;
    std::vector<std::uint16_t> classes;  ///< every link class of this level (all planes)
    double max_link_latency_s = 0;       ///< largest LinkSpec::latency among those classes
};

class Fabric {
public:
    /// Reads the levels off `t` (O(accelerators x degree)). Throws CommError when `cost` is invalid.
    explicit Fabric(const topo::Topology& t, CostModel cost = {});

    [[nodiscard]] const topo::Topology& topology() const { return *topo_; }
    [[nodiscard]] const CostModel& cost() const { return cost_; }
    [[nodiscard]] const std::vector<LevelView>& levels() const { return levels_; }
    [[nodiscard]] std::int64_t accelerators() const { return static_cast<std::int64_t>(topo_->accelerator_count()); }
    [[nodiscard]] std::size_t class_count() const { return topo_->link_classes().size(); }
    /// Line rate of one link of class c times its level's efficiency, bytes/s, one direction.
    [[nodiscard]] double effective_Bps(std::size_t c) const { return effective_[c]; }
    [[nodiscard]] std::int64_t level_of_class(std::size_t c) const { return topo_->link_classes()[c].level; }
    /// "level/name" (plane suffix "#p" when the level has several planes), e.g. "infiniband/ib_leaf-ib_spine".
    [[nodiscard]] std::string class_label(std::size_t c) const;
    /// Lowest level whose instance holds both accelerators (a == b: -1).
    [[nodiscard]] int common_level(std::int64_t a, std::int64_t b) const;
    /// Injection bandwidth of one accelerator summed over every level and plane, effective, bytes/s.
    [[nodiscard]] double injection_Bps() const { return injection_; }

private:
    const topo::Topology* topo_;
    CostModel cost_;
    std::vector<LevelView> levels_;
    std::vector<double> effective_;
    double injection_ = 0;
};

}  // namespace clustersim::comm
