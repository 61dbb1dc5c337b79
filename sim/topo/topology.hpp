#pragma once
// The cluster as a graph: accelerators and switches joined by full-duplex links, stored as
// compressed sparse rows (CSR). Memory per physical link: two directed entries of 8 + 2 bytes;
// per node: 8 + 2 bytes. Ids and counts are 64-bit.
//
// Node ids: active accelerators 0..N-1 in canonical order (levels' groups are consecutive
// blocks of it), then spare accelerators, then switches (by level, group, plane, tier).
// A LinkId names one direction of a link: capacities are per direction. The two directions of
// a link are reverse(l) of each other.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "topo/networks.hpp"
#include "topo/params.hpp"

namespace clustersim::topo {

using NodeId = std::uint64_t;
using LinkId = std::uint64_t;

enum class NodeKind : std::uint8_t { accelerator, spare_accelerator, switch_node };
std::string_view to_string(NodeKind k);

/// What every node of one class shares.
struct NodeClass {
    NodeKind kind = NodeKind::accelerator;
    std::string name;         ///< "accelerator", "spare", or the switch tier's name
    std::int64_t level = -1;  ///< index into Topology::levels(); -1 for accelerators
    std::int64_t tier = 0;    ///< switch tier (1 = leaf); 0 for accelerators
    std::int64_t radix = 0;   ///< ports per switch; 0 for accelerators
};

/// What every link of one class shares.
struct LinkClass {
    std::string name;        ///< e.g. "accelerator-leaf", "leaf-spine", "dim1", "global", "spare"
    std::int64_t level = 0;  ///< index into Topology::levels()
    std::int64_t plane = 0;  ///< parallel plane within the level (0 when it has one)
    LinkSpec spec;
};

struct LevelInfo {
    std::string name;
    PlaneKind plane_kind = PlaneKind::scale_out;
    std::int64_t group_size = 0;
    std::int64_t planes = 1;
};

/// Refuses to build graphs above these sizes (use analyze() for closed-form figures instead).
struct BuildLimits {
    std::uint64_t max_links = std::uint64_t{1} << 28;
    std::uint64_t max_nodes = std::uint64_t{1} << 30;
};

class Topology {
public:
    [[nodiscard]] std::uint64_t node_count() const { return offsets_.size() - 1; }
    [[nodiscard]] std::uint64_t accelerator_count() const { return accelerators_; }  ///< active, ids 0..N-1
    [[nodiscard]] std::uint64_t spare_count() const { return spares_; }
    [[nodiscard]] std::uint64_t switch_count() const { return node_count() - accelerators_ - spares_; }
    [[nodiscard]] std::uint64_t link_count() const { return targets_.size() / 2; }  ///< physical links
    [[nodiscard]] std::uint64_t directed_link_count() const { return targets_.size(); }

    [[nodiscard]] const NodeClass& node_class(NodeId v) const { return node_classes_[node_class_[v]]; }
    [[nodiscard]] NodeKind kind(NodeId v) const { return node_class(v).kind; }
    [[nodiscard]] const std::vector<NodeClass>& node_classes() const { return node_classes_; }
    [[nodiscard]] std::uint16_t node_class_index(NodeId v) const { return node_class_[v]; }

    /// Directed links leaving v are out_begin(v) .. out_end(v) - 1.
    [[nodiscard]] LinkId out_begin(NodeId v) const { return offsets_[v]; }
    [[nodiscard]] LinkId out_end(NodeId v) const { return offsets_[v + 1]; }
    [[nodiscard]] std::uint64_t degree(NodeId v) const { return offsets_[v + 1] - offsets_[v]; }
    [[nodiscard]] std::span<const NodeId> neighbours(NodeId v) const {
        return {targets_.data() + offsets_[v], targets_.data() + offsets_[v + 1]};
    }
    [[nodiscard]] NodeId target(LinkId l) const { return targets_[l]; }
    [[nodiscard]] NodeId source(LinkId l) const;   ///< O(log nodes)
    [[nodiscard]] LinkId reverse(LinkId l) const;  ///< the other direction of the same link; O(degree)
    [[nodiscard]] const LinkClass& link_class(LinkId l) const { return link_classes_[link_class_[l]]; }
    [[nodiscard]] std::uint16_t link_class_index(LinkId l) const { return link_class_[l]; }
    [[nodiscard]] const std::vector<LinkClass>& link_classes() const { return link_classes_; }
    [[nodiscard]] units::BytesPerSecond bandwidth(LinkId l) const { return link_class(l).spec.bandwidth; }

    [[nodiscard]] const std::vector<LevelInfo>& levels() const { return levels_; }
    /// The composition this graph was built from (what analyze() measures).
    [[nodiscard]] const HierarchicalParams& description() const { return description_; }

    /// Approximate heap bytes held by the graph arrays.
    [[nodiscard]] std::uint64_t memory_bytes() const;

private:
    friend Topology build(const HierarchicalParams& p, const BuildLimits& limits);
    std::vector<std::uint64_t> offsets_{0};
    std::vector<NodeId> targets_;
    std::vector<std::uint16_t> link_class_;
    std::vector<std::uint16_t> node_class_;
    std::vector<NodeClass> node_classes_;
    std::vector<LinkClass> link_classes_;
    std::vector<LevelInfo> levels_;
    HierarchicalParams description_;
    std::uint64_t accelerators_ = 0;
    std::uint64_t spares_ = 0;
};

/// Builds the graph; throws InvalidParams when validate() reports problems, and TopologyError
/// when the graph would exceed `limits`.
Topology build(const HierarchicalParams& p, const BuildLimits& limits = {});
Topology build(const TopologyParams& p, const BuildLimits& limits = {});

/// Hop counts from `source` to every node (-1 where unreachable): breadth-first search on the CSR.
std::vector<std::int32_t> hop_distances(const Topology& t, NodeId source);

}  // namespace clustersim::topo
