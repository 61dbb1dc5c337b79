#pragma once
// How a placement's groups sit on the topology's levels: how many ranks of a group share one
// instance of each level (a scale-up domain, a pod, a SuperPoD), and whether a group is an
// aligned sub-grid of a mesh or torus. Algorithms use it to decide whether they apply
// (hierarchical needs equal blocks per domain; dimension-wise needs grid alignment).
#include <cstdint>
#include <vector>

#include "comm/fabric.hpp"
#include "comm/placement.hpp"

namespace clustersim::comm {

/// One dimension of a group's rank shape for dimension-by-dimension algorithms.
enum class DimKind : std::uint8_t {
    ring,               ///< ranks joined through switches or non-adjacent links: a ring
    bidirectional_ring, ///< a torus dimension: both directions round the ring
    direct,             ///< a full-mesh dimension: every pair linked, send to all at once
};
struct GroupDim {
    std::int64_t size = 1;
    DimKind kind = DimKind::ring;
    int level = 0;
};

struct GroupShape {
    std::int64_t ranks = 1;
    std::int64_t groups = 1;
    /// Ranks of one group in one instance of each level, when every group has that many in every
    /// instance it touches and its ranks run through the instances in order; -1 otherwise.
    std::vector<std::int64_t> per_level;
    /// Lowest level one of whose instances holds each whole group (the largest over groups).
    int top_level = 0;
    /// The same, the smallest over groups (equal to top_level when every group spans the same levels).
    int bottom_level = 0;
    /// The group's ranks as dimensions (dimension 0 fastest; product = ranks), when the ranks
    /// follow the levels (per_level uniform up to top_level). At level 0 a group that is an
    /// aligned sub-grid of a full mesh or torus contributes that grid's dimensions. Empty otherwise.
    std::vector<GroupDim> dims;
};

/// O(accelerators x levels).
GroupShape describe_groups(const Fabric& fabric, const Placement& placement);

}  // namespace clustersim::comm
