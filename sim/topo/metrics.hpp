#pragma once
// Figures of a topology. analyze() derives them from the parameters alone, in closed form (no
// graph; any size); count_graph() counts a built graph; the tests check one against the other,
// and the hop and bisection figures against exact algorithms (reference.hpp) on small instances.
// Formulas and their sources: docs/models/topology.md.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "topo/link.hpp"
#include "topo/params.hpp"
#include "topo/topology.hpp"

namespace clustersim::topo {

/// Switches of one tier of one level, all groups and planes.
struct SwitchCount {
    std::string level;
    std::string name;  ///< the tier's name: the key for cost inputs
    std::int64_t tier = 1;
    std::int64_t radix = 0;
    std::int64_t count = 0;

    friend bool operator==(const SwitchCount&, const SwitchCount&) = default;
};

/// Links of one kind of one level, all groups and planes.
struct LinkCount {
    std::string level;
    std::string name;
    LinkSpec spec;
    std::int64_t count = 0;
    std::int64_t transceivers = 0;  ///< count x spec.transceivers

    friend bool operator==(const LinkCount&, const LinkCount&) = default;
};

/// One level's network, one group of it.
struct LevelMetrics {
    std::string name;
    PlaneKind plane_kind = PlaneKind::scale_out;
    std::int64_t group_size = 0;
    std::int64_t groups = 0;
    std::int64_t planes = 1;
    units::BytesPerSecond injection;  ///< per accelerator, one direction, all planes of the level
    std::int64_t diameter = 0;        ///< hops between accelerators of one group, through this network
    double average_hops = 0;          ///< over all accelerator pairs of one group
    /// The worst balanced cut of one group's network (max-flow, one direction, between halves of
    /// its accelerators): the cheapest structured split, exact or an upper bound as
    /// docs/models/topology.md says for each network kind.
    std::optional<units::BytesPerSecond> bisection;
};

struct Metrics {
    std::int64_t accelerators = 0;  ///< active
    std::int64_t spares = 0;        ///< spare accelerators
    std::int64_t switches = 0;
    std::int64_t links = 0;  ///< physical (full-duplex) links
    std::int64_t optical_links = 0;
    std::int64_t transceivers = 0;  ///< optical transceivers
    std::vector<SwitchCount> switch_counts;
    std::vector<LinkCount> link_counts;
    std::vector<LevelMetrics> levels;
    /// Whole system, max-flow one direction between two halves of the accelerators. One level:
    /// that level's worst balanced cut. Several levels: the smaller of the cuts after the first
    /// floor(N/2) and ceil(N/2) accelerators in canonical order (lower-level groups kept
    /// together; all levels' links count) -- the worst cut when the top level is the bottleneck.
    std::optional<units::BytesPerSecond> bisection;
    /// Hierarchical routing: a pair uses the lowest level whose group holds both.
    std::int64_t diameter = 0;
    double average_hops = 0;  ///< over all unordered pairs of active accelerators
};

/// Closed-form figures; throws InvalidParams on invalid params. Cost: O(levels + leaves of the
/// Clos levels); a dragonfly adds one breadth-first search per router of a group on its router graph.
Metrics analyze(const TopologyParams& p);
Metrics analyze(const HierarchicalParams& p);
inline Metrics analyze(const Topology& t) { return analyze(t.description()); }

/// Accelerators a Clos of these tiers can hold (0 when its ports do not split into whole numbers).
std::int64_t capacity(const ClosNetwork& n);

/// Counted on a built graph (exact, O(nodes + links)).
struct GraphCounts {
    std::int64_t accelerators = 0;
    std::int64_t spares = 0;
    std::int64_t switches = 0;
    std::int64_t links = 0;
    std::int64_t optical_links = 0;
    std::int64_t transceivers = 0;
    std::map<std::string, std::int64_t> switches_by_name;  ///< "level/tier name"
    std::map<std::string, std::int64_t> links_by_name;     ///< "level/link name"
};
GraphCounts count_graph(const Topology& t);

/// Per-switch figures supplied by the caller (clustersim ships none: they depend on the product,
/// the year and the deal). Unknown figures stay unknown; they are never taken as zero.
struct SwitchFigures {
    std::optional<units::Watts> power;
    std::optional<double> price;  ///< in the caller's currency
};
struct CostInputs {
    std::map<std::string, SwitchFigures, std::less<>> switches;  ///< by switch tier name
    std::optional<units::Watts> transceiver_power;
    std::optional<double> transceiver_price;
};
struct NetworkCost {
    std::optional<units::Watts> power;  ///< switches + transceivers; unknown when any part is
    std::optional<double> price;
    std::vector<std::string> missing;  ///< what made a total unknown, e.g. "switch 'leaf' power"
};
/// Network power and price: switch count x per-switch figure + transceivers x per-transceiver figure.
NetworkCost network_cost(const Metrics& m, const CostInputs& in);

}  // namespace clustersim::topo
