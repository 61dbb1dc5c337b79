#pragma once
// Which accelerator each rank of each group runs on. Every group of a placement has the same
// number of ranks p and all groups run the same collective at the same moment (every
// data-parallel group all-reducing, every expert-parallel group exchanging).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "topo/topology.hpp"

namespace clustersim::comm {

/// Strided: group g = { first(g) + r * stride : r in [0, p) } with
///   first(g) = offset + (g / stride) * p * stride + (g % stride),
/// the layout of data-parallel groups when the parallel dimensions that vary faster (tensor,
/// pipeline) have total size `stride` (stride 1: consecutive blocks of p accelerators). Period
/// p * stride; blocks of `stride` groups interleave. Explicit: accelerator ids per group.
/// Invariants (checked by validate()): p >= 1, groups >= 1, every accelerator id active (below
/// the topology's accelerator count) and used at most once over all groups.
class Placement {
public:
    static Placement strided(std::int64_t group_size, std::int64_t stride, std::int64_t groups,
                             std::int64_t offset = 0);
    /// `groups` consecutive blocks of `group_size` accelerators.
    static Placement contiguous(std::int64_t group_size, std::int64_t groups) {
        return strided(group_size, 1, groups, 0);
    }
    /// As many strided groups as fit in `accelerators` (accelerators / group_size; the stride
    /// must divide accelerators / group_size).
    static Placement tiled(std::int64_t accelerators, std::int64_t group_size, std::int64_t stride = 1);
    /// Why `accelerators` do not tile into groups of `group_size` with `stride` (tiled()'s rule), if they
    /// do not: the offending figure first ("group_size ..." or "stride ...").
    static std::optional<std::string> tiling_problem(std::int64_t accelerators, std::int64_t group_size, std::int64_t stride);
    static Placement explicit_groups(std::vector<std::vector<topo::NodeId>> groups);

    [[nodiscard]] std::int64_t group_size() const { return p_; }
    [[nodiscard]] std::int64_t group_count() const { return groups_; }
    [[nodiscard]] bool is_strided() const { return !explicit_mode_; }
    [[nodiscard]] std::int64_t stride() const { return stride_; }
    [[nodiscard]] std::int64_t offset() const { return offset_; }
    /// Strided: the layout repeats every period() accelerators (p * stride).
    [[nodiscard]] std::int64_t period() const { return p_ * stride_; }
    /// Strided: blocks whose `stride` groups all exist (the periodic region is
    /// [offset, offset + full_blocks * period)).
    [[nodiscard]] std::int64_t full_blocks() const { return groups_ / stride_; }

    [[nodiscard]] topo::NodeId accelerator(std::int64_t group, std::int64_t rank) const;
    /// The (group, rank) on accelerator a, if any (strided: arithmetic; explicit: a lookup table).
    struct Slot {
        std::int64_t group = 0;
        std::int64_t rank = 0;
    };
    [[nodiscard]] std::optional<Slot> slot(topo::NodeId a) const;
    /// One past the highest accelerator id used.
    [[nodiscard]] topo::NodeId extent() const { return extent_; }
    /// Lowest accelerator id used.
    [[nodiscard]] topo::NodeId first() const { return first_; }

    /// Problems with this placement on `accelerators` active accelerators (empty: valid).
    [[nodiscard]] std::vector<std::string> problems(std::uint64_t accelerators) const;
    /// Throws CommError listing every problem.
    void validate(std::uint64_t accelerators) const;

private:
    std::int64_t p_ = 1, stride_ = 1, groups_ = 1, offset_ = 0;
    bool explicit_mode_ = false;
    std::vector<std::vector<topo::NodeId>> explicit_;
    std::vector<std::int64_t> inverse_;  ///< explicit: accelerator -> group * p + rank, or -1
    topo::NodeId first_ = 0, extent_ = 0;
};

}  // namespace clustersim::comm
