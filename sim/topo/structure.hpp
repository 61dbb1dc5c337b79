#pragma once
// Internal to the topology layer (not an API): the shape of each network kind and its closed
// forms, shared by analyze() (metrics.cpp) and build() (build.cpp) so that the graph and the
// formulas can never describe different networks. Assumes validated parameters.
// Formulas and sources: docs/models/topology.md.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "topo/networks.hpp"

namespace clustersim::topo::detail {

/// C(n, 2) as a double (exact below 2^53).
inline double choose2(std::int64_t n) { return 0.5 * static_cast<double>(n) * static_cast<double>(n - 1); }

/// Sum of C(len, 2) over the blocks of size x partitioning [0, n).
double pairs_in_blocks(std::int64_t n, std::int64_t x);
/// Sum of C(len, 2) over the cells of two partitions of [0, n), into blocks of size x and of size y.
double pairs_in_common(std::int64_t n, std::int64_t x, std::int64_t y);

/// Down and up ports of a tier from its radix and oversubscription; nullopt when they are not whole.
struct PortSplit {
    std::int64_t down = 0;
    std::int64_t up = 0;
};
std::optional<PortSplit> split_ports(std::int64_t radix, double oversubscription);

/// One plane of a Clos over one group.
struct ClosShape {
    int tiers = 1;
    std::int64_t group = 0;  ///< accelerators
    std::int64_t h = 1;      ///< links per accelerator to its leaf
    std::int64_t rails = 1;
    std::int64_t d1 = 0, u1 = 0;  ///< leaf down / up ports
    std::int64_t d2 = 0, u2 = 0;  ///< tier-2 down / up ports (2 tiers: d2 = radix, u2 = 0)
    std::int64_t k3 = 0;          ///< tier-3 radix
    std::int64_t per_leaf = 0;    ///< accelerators a full leaf holds (d1 / h)
    std::int64_t leaves = 0;
    std::int64_t leaves_per_pod = 0;  ///< 3 tiers: d2; otherwise leaves
    std::int64_t pods = 1;            ///< 3 tiers; otherwise 1
    /// 2 tiers: spines, the fewest a partly filled fabric needs (see spines_needed); 3 tiers:
    /// aggregation switches (pods * u1).
    std::int64_t tier2 = 0;
    std::int64_t tier3 = 0;           ///< 3 tiers: core switches (u1 * core_per_group)
    std::int64_t m1 = 1;              ///< 2 tiers: parallel links from each leaf to each spine (u1 / tier2)
    std::int64_t core_per_group = 0;  ///< 3 tiers: core switches per aggregation index j
    std::int64_t m2 = 1;              ///< 3 tiers: links from aggregation switch j to each of its core switches
    double b0 = 0, b1 = 0, b2 = 0;    ///< bytes/s of accelerator, tier 1-2 and tier 2-3 links

    /// Leaf of local accelerator i (0 <= i < group).
    [[nodiscard]] std::int64_t leaf_of(std::int64_t i) const;
    /// Accelerators on leaf l among the first a of the group, and on leaf l in total.
    [[nodiscard]] std::int64_t leaf_members_below(std::int64_t l, std::int64_t a) const;
    /// Accelerators a group of this shape can hold.
    [[nodiscard]] std::int64_t capacity() const;
};
ClosShape clos_shape(const ClosNetwork& n, std::int64_t group);

/// The fewest switches an upper tier needs when `blocks` lower switches (leaves, or pods'
/// aggregation switches of one index) each have `up` up-links and an upper switch has `radix`
/// ports: the smallest divisor s of `up` with s * radix >= up * blocks (each lower switch then has
/// up / s parallel links to every upper one, so traffic still spreads evenly). 0 when blocks <= 1:
/// a single leaf (pod) switches all its traffic itself. A full fabric (blocks = radix) keeps all `up`.
std::int64_t spines_needed(std::int64_t up, std::int64_t blocks, std::int64_t radix);
/// Capacity without building a shape (for validation): 0 when the ports do not split.
std::int64_t clos_capacity(const ClosNetwork& n);

/// Counts of one group of one level (all planes).
struct SwitchBlock {
    std::string name;
    std::int64_t tier = 1;
    std::int64_t radix = 0;
    std::int64_t per_plane = 0;  ///< switches of this tier in one plane of one group
};
struct LinkBlock {
    std::string name;  ///< e.g. "leaf-down", "dim0", "global"
    LinkSpec spec;
    std::int64_t per_plane = 0;  ///< links in one plane of one group
};
struct LevelShape {
    std::int64_t planes = 1;
    std::vector<SwitchBlock> switches;
    std::vector<LinkBlock> links;
    std::int64_t spares = 0;   ///< spare accelerators per group
    double injection_Bps = 0;  ///< per accelerator, one direction, all planes
};
LevelShape level_shape(const LevelParams& level);

/// Unordered accelerator pairs of one group that lie in different lower-level groups (of size
/// `subgroup`; 1 = all pairs), with the sum and maximum of their hop counts in this network.
struct PairStats {
    double pairs = 0;
    double hop_sum = 0;
    std::int64_t max_hops = 0;
};
PairStats pair_stats(const LevelParams& level, std::int64_t subgroup);

/// Max-flow, one direction, from the first `a` accelerators of one group to the rest, through
/// this network only (a dragonfly's by a max-flow on its router graph; the others in closed form).
/// Always known; optional for callers that combine levels.
std::optional<double> prefix_flow_Bps(const LevelParams& level, std::int64_t a);

/// The worst balanced cut (max-flow, one direction) of one group's network alone, as the cheapest
/// of its structured candidate splits (Clos: first/second half in accelerator order and in leaf
/// order; tori and meshes: cuts across even dimensions and the first half of every dimension
/// order; dragonflies: whole groups, whole groups and part of one, the same routers of every
/// group). Each candidate is a real split, so the figure is never below the worst cut; where it is
/// exact is in docs/models/topology.md.
std::optional<double> bisection_Bps(const LevelParams& level);

/// The dragonfly's global link from (group, router, port): the far group and router.
struct GlobalEnd {
    std::int64_t group = 0;
    std::int64_t router = 0;
};
GlobalEnd dragonfly_global_end(const DragonflyNetwork& d, std::int64_t group, std::int64_t router, std::int64_t port);

}  // namespace clustersim::topo::detail
