#pragma once
// The networks a cluster is made of, as plain parameter structs, and the hierarchical
// composition that stacks them. Every builder (params.hpp) is a composition of these.
//
// Accelerators are numbered 0..N-1 in a canonical order: a level's groups are consecutive
// blocks of that order (a board, a rack, a scale-up domain, a SuperPoD), so lower-level
// groups nest inside higher-level ones. docs/models/topology.md gives every formula.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "topo/link.hpp"

namespace clustersim::topo {

/// One switch tier of a folded Clos (fat-tree). Tiers are listed bottom (leaf) first.
struct ClosTier {
    std::string name;               ///< switch class name, e.g. "leaf"; used for counts and cost inputs
    std::int64_t radix = 0;         ///< ports per switch
    double oversubscription = 1.0;  ///< down ports : up ports, >= 1; the top tier has no up ports (must be 1)
    LinkSpec down_link;             ///< every link from this tier to the one below (tier 1: the accelerator links)

    friend bool operator==(const ClosTier&, const ClosTier&) = default;
};

/// A folded Clos of 1 to 3 switch tiers in `planes` identical parallel copies (Al-Fares et al.,
/// SIGCOMM 2008, generalised to a radix and oversubscription per tier and partial population).
/// Each accelerator has `links_per_accelerator` links to one leaf in every plane.
/// Rail-optimised when rails > 1: accelerators form servers of `rails` consecutive accelerators,
/// and the leaf of rail r serves accelerator r of every server in its server group.
/// A partly filled Clos builds only the spines (core switches) it needs, with parallel links from
/// each leaf (aggregation switch) to each of them (detail::spines_needed, docs/models/topology.md).
struct ClosNetwork {
    std::vector<ClosTier> tiers;
    std::int64_t planes = 1;
    std::int64_t links_per_accelerator = 1;  ///< per plane
    std::int64_t rails = 1;                  ///< 1 = not rail-optimised

    friend bool operator==(const ClosNetwork&, const ClosNetwork&) = default;
};

struct MeshDimension {
    std::int64_t size = 0;  ///< accelerators along this dimension
    LinkSpec link;          ///< every link along this dimension

    friend bool operator==(const MeshDimension&, const MeshDimension&) = default;
};

/// nD-FullMesh (UB-Mesh, Liao et al., arXiv 2503.20377): accelerators at mixed-radix coordinates
/// (dimension 0 fastest); two accelerators are linked when they differ in exactly one coordinate
/// (a generalised Hamming graph). One dimension is a plain full mesh.
/// Optional spares: every block of `spare_block` consecutive accelerators (a product of leading
/// dimensions, e.g. a rack) gets `spares_per_block` backup accelerators; spare s of a block is
/// linked to accelerator ((j + s) mod size0) of the block's j-th line along dimension 0 (one per board).
/// This wiring is an assumption (the paper routes the backup through the rack's LRS switches).
struct FullMeshNetwork {
    std::vector<MeshDimension> dims;
    std::int64_t spares_per_block = 0;
    std::int64_t spare_block = 0;  ///< accelerators per spare block; used when spares_per_block > 0
    LinkSpec spare_link;

    friend bool operator==(const FullMeshNetwork&, const FullMeshNetwork&) = default;
};

/// k-ary n-cube / mixed-radix torus (dimension 0 fastest). A dimension of size 2 has one link
/// between its two accelerators, not two.
struct TorusNetwork {
    std::vector<std::int64_t> dims;
    LinkSpec link;

    friend bool operator==(const TorusNetwork&, const TorusNetwork&) = default;
};

/// Dragonfly (Kim, Dally, Scott, Abts, ISCA 2008): `groups` groups of `routers_per_group` (a)
/// routers, each with `terminals_per_router` (p) accelerators and `global_links_per_router` (h)
/// global links; routers of a group form a full mesh of local links. Balanced when a = 2p = 2h;
/// at most a*h + 1 groups. Global wiring (consecutive): global port q = r*h + j of a group
/// leads to the group (q mod (groups-1)) + 1 places further round the ring, so every pair of
/// groups is joined by a*h/(groups-1) links.
struct DragonflyNetwork {
    std::int64_t terminals_per_router = 0;     ///< p
    std::int64_t routers_per_group = 0;        ///< a
    std::int64_t global_links_per_router = 0;  ///< h
    std::int64_t groups = 0;                   ///< g, 2 .. a*h + 1
    LinkSpec terminal_link;
    LinkSpec local_link;
    LinkSpec global_link;
    std::string router_name = "router";

    friend bool operator==(const DragonflyNetwork&, const DragonflyNetwork&) = default;
};

using Network = std::variant<ClosNetwork, FullMeshNetwork, TorusNetwork, DragonflyNetwork>;

/// One level of a hierarchy: every block of `group_size` consecutive accelerators is joined by
/// its own copy of `network`. A level's group size is a multiple of the level below's; the top
/// level's group size is the accelerator count.
struct LevelParams {
    std::string name;  ///< e.g. "nvlink", "infiniband", "ub", "rdma"
    PlaneKind plane_kind = PlaneKind::scale_out;
    std::int64_t group_size = 0;
    Network network;

    friend bool operator==(const LevelParams&, const LevelParams&) = default;
};

/// Levels bottom (scale-up) first. Traffic between two accelerators uses the lowest level whose
/// group holds both (hierarchical routing); that is what the hop metrics measure.
struct HierarchicalParams {
    std::vector<LevelParams> levels;

    friend bool operator==(const HierarchicalParams&, const HierarchicalParams&) = default;
};

}  // namespace clustersim::topo
