#include "comm/fabric.hpp"

#include <algorithm>
#include <unordered_map>
#include <variant>

#include "comm/error.hpp"

namespace clustersim::comm {

namespace {

using topo::LinkId;
using topo::NodeId;

/// Clos structure of level `level`, read off the graph: each accelerator's leaf in plane 0,
/// each leaf's pod (its lowest tier-2 neighbour identifies the pod), and the up-link counts.
ClosLevel read_clos(const topo::Topology& t, std::int64_t level, int tiers) {
    ClosLevel c;
    c.tiers = tiers;
    const auto n = t.accelerator_count();
    c.leaf_of.assign(n, -1);
    std::unordered_map<NodeId, std::int64_t> leaf_index;
    std::vector<NodeId> leaf_nodes;
    auto in_plane0 = [&](LinkId l) {
        const auto& lc = t.link_class(l);
        return lc.level == level && lc.plane == 0;
    };
    for (NodeId a = 0; a < n; ++a) {
        NodeId leaf = 0;
        std::int64_t links = 0;
        for (LinkId l = t.out_begin(a); l < t.out_end(a); ++l) {
            if (!in_plane0(l)) continue;
            if (links == 0) {
                leaf = t.target(l);
                c.class_down = t.link_class_index(l);
            }
            if (t.target(l) == leaf) ++links;
        }
        if (links == 0) throw CommError("fabric: accelerator " + std::to_string(a) + " has no link in Clos level " +
                                        std::to_string(level));
        if (a == 0) c.h = links;
        const auto [it, inserted] = leaf_index.emplace(leaf, static_cast<std::int64_t>(leaf_nodes.size()));
        if (inserted) leaf_nodes.push_back(leaf);
        c.leaf_of[a] = it->second;
    }
    c.leaves = static_cast<std::int64_t>(leaf_nodes.size());
    c.pod_of.assign(leaf_nodes.size(), 0);
    if (tiers < 2) return c;
    auto up_neighbours = [&](NodeId v, int tier, std::uint16_t& cls) {
        std::vector<NodeId> out;
        for (LinkId l = t.out_begin(v); l < t.out_end(v); ++l) {
            if (!in_plane0(l)) continue;
            const NodeId w = t.target(l);
            if (t.node_class(w).tier != tier) continue;
            out.push_back(w);
            cls = t.link_class_index(l);
        }
        return out;
    };
    std::unordered_map<NodeId, std::int64_t> pod_index;
    for (std::size_t i = 0; i < leaf_nodes.size(); ++i) {
        const auto up = up_neighbours(leaf_nodes[i], 2, c.class_up1);
        if (i == 0) c.u1 = static_cast<std::int64_t>(up.size());
        if (tiers == 3 && !up.empty()) {
            const NodeId key = *std::min_element(up.begin(), up.end());
            const auto [it, inserted] = pod_index.emplace(key, static_cast<std::int64_t>(pod_index.size()));
            c.pod_of[i] = it->second;
            if (inserted && it->second == 0) c.u2 = static_cast<std::int64_t>(up_neighbours(key, 3, c.class_up2).size());
        }
    }
    c.pods = tiers == 3 ? static_cast<std::int64_t>(pod_index.size()) : 0;
    return c;
}

GridLevel read_grid(const topo::Topology& t, std::int64_t level, const std::vector<std::int64_t>& dims) {
    GridLevel g;
    g.dims = dims;
    std::int64_t stride = 1;
    for (std::size_t d = 0; d < dims.size(); ++d) {
        g.strides.push_back(stride);
        stride *= dims[d];
        const std::string name = "dim" + std::to_string(d);
        std::uint16_t cls = 0;
        for (std::size_t c = 0; c < t.link_classes().size(); ++c) {
            const auto& lc = t.link_classes()[c];
            if (lc.level == level && lc.name == name) cls = static_cast<std::uint16_t>(c);
        }
        g.dim_class.push_back(cls);
    }
    return g;
}

}  // namespace

Fabric::Fabric(const topo::Topology& t, CostModel cost) : topo_(&t), cost_(std::move(cost)) {
    const auto problems = cost_.problems();
    if (!problems.empty()) {
        std::string msg = "invalid cost model: ";
        for (std::size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
        throw CommError(msg);
    }
    const auto& desc = t.description();
    const auto n = static_cast<std::int64_t>(t.accelerator_count());
    for (std::size_t li = 0; li < t.levels().size(); ++li) {
        const auto level = static_cast<std::int64_t>(li);
        const auto& info = t.levels()[li];
        LevelView v;
        v.name = info.name;
        v.group_size = info.group_size;
        v.instances = info.group_size > 0 ? n / info.group_size : 0;
        v.planes = info.planes;
        for (std::size_t c = 0; c < t.link_classes().size(); ++c) {
            const auto& lc = t.link_classes()[c];
            if (lc.level != level) continue;
            v.classes.push_back(static_cast<std::uint16_t>(c));
            v.max_link_latency_s = std::max(v.max_link_latency_s, lc.spec.latency.si());
        }
        const auto& net = desc.levels[li].network;
        if (const auto* clos = std::get_if<topo::ClosNetwork>(&net)) {
            v.kind = LevelKind::clos;
            v.clos = read_clos(t, level, static_cast<int>(clos->tiers.size()));
        } else if (const auto* mesh = std::get_if<topo::FullMeshNetwork>(&net)) {
            v.kind = LevelKind::full_mesh;
            std::vector<std::int64_t> dims;
            for (const auto& d : mesh->dims) dims.push_back(d.size);
            v.grid = read_grid(t, level, dims);
        } else if (const auto* torus = std::get_if<topo::TorusNetwork>(&net)) {
            v.kind = LevelKind::torus;
            v.grid = read_grid(t, level, torus->dims);
        } else {
            v.kind = LevelKind::graph;
        }
        levels_.push_back(std::move(v));
    }
    effective_.resize(t.link_classes().size());
    for (std::size_t c = 0; c < effective_.size(); ++c) {
        const auto& lc = t.link_classes()[c];
        effective_[c] = lc.spec.bandwidth.si() * cost_.level(static_cast<std::size_t>(lc.level)).efficiency;
    }
    if (n > 0)
        for (LinkId l = t.out_begin(0); l < t.out_end(0); ++l) injection_ += effective_[t.link_class_index(l)];
}

std::string Fabric::class_label(std::size_t c) const {
    const auto& lc = topo_->link_classes()[c];
    const auto& lv = topo_->levels()[static_cast<std::size_t>(lc.level)];
    std::string s = lv.name + "/" + lc.name;
    if (lv.planes > 1) s += "#" + std::to_string(lc.plane);
    return s;
}

int Fabric::common_level(std::int64_t a, std::int64_t b) const {
    if (a == b) return -1;
    for (std::size_t l = 0; l < levels_.size(); ++l) {
        const std::int64_t g = levels_[l].group_size;
        if (a / g == b / g) return static_cast<int>(l);
    }
    return static_cast<int>(levels_.size()) - 1;
}

}  // namespace clustersim::comm
