#include "topo/metrics.hpp"

#include <algorithm>

#include "topo/structure.hpp"
#include "topo/validate.hpp"

namespace clustersim::topo {

Metrics analyze(const TopologyParams& p) {
    require_valid(p);
    return analyze(to_hierarchical(p));
}

Metrics analyze(const HierarchicalParams& p) {
    require_valid(TopologyParams{p});
    Metrics m;
    const std::int64_t n = p.levels.back().group_size;
    m.accelerators = n;
    double pairs = 0, hop_sum = 0;
    // Whole-system bisection candidates: the first floor(N/2) and the first ceil(N/2) accelerators
    // (lower-level groups stay together where the sizes allow).
    std::optional<double> cut_lo = 0.0, cut_hi = 0.0;
    for (std::size_t li = 0; li < p.levels.size(); ++li) {
        const auto& level = p.levels[li];
        const auto shape = detail::level_shape(level);
        const std::int64_t groups = n / level.group_size;
        const std::int64_t copies = groups * shape.planes;
        m.spares += shape.spares * groups;
        for (const auto& s : shape.switches) {
            m.switch_counts.push_back({level.name, s.name, s.tier, s.radix, s.per_plane * copies});
            m.switches += s.per_plane * copies;
        }
        for (const auto& b : shape.links) {
            const std::int64_t count = b.per_plane * copies;
            m.link_counts.push_back({level.name, b.name, b.spec, count, count * b.spec.transceivers});
            m.links += count;
            if (b.spec.medium == Medium::optical) m.optical_links += count;
            m.transceivers += count * b.spec.transceivers;
        }

        LevelMetrics lm;
        lm.name = level.name;
        lm.plane_kind = level.plane_kind;
        lm.group_size = level.group_size;
        lm.groups = groups;
        lm.planes = shape.planes;
        lm.injection = units::BytesPerSecond(shape.injection_Bps);
        const auto own = detail::pair_stats(level, 1);
        lm.diameter = own.max_hops;
        lm.average_hops = own.pairs > 0 ? own.hop_sum / own.pairs : 0.0;
        if (const auto flow = detail::bisection_Bps(level)) lm.bisection = units::BytesPerSecond(*flow);
        m.levels.push_back(lm);

        // Hierarchical routing: this level carries the pairs of its group that no lower level holds.
        const std::int64_t below = li == 0 ? 1 : p.levels[li - 1].group_size;
        const auto cross = detail::pair_stats(level, below);
        pairs += cross.pairs * static_cast<double>(groups);
        hop_sum += cross.hop_sum * static_cast<double>(groups);
        if (cross.pairs > 0) m.diameter = std::max(m.diameter, cross.max_hops);

        // The split point lies in one group of each level; the cut is the sum over levels
        // (levels share only accelerators, whose sides are fixed).
        // (One level: its own worst cut is the answer; a dragonfly's split flow is a max-flow, skipped.)
        auto add = [&](std::optional<double>& cut, std::int64_t a) {
            const auto flow = detail::prefix_flow_Bps(level, a % level.group_size);
            cut = cut && flow ? std::optional<double>(*cut + *flow) : std::nullopt;
        };
        if (p.levels.size() > 1) {
            add(cut_lo, n / 2);
            add(cut_hi, n - n / 2);
        }
    }
    m.average_hops = pairs > 0 ? hop_sum / pairs : 0.0;
    if (p.levels.size() == 1) {
        m.bisection = m.levels.front().bisection;
    } else if (cut_lo && cut_hi) {
        m.bisection = units::BytesPerSecond(std::min(*cut_lo, *cut_hi));
    }
    return m;
}

std::int64_t capacity(const ClosNetwork& n) { return detail::clos_capacity(n); }

GraphCounts count_graph(const Topology& t) {
    GraphCounts c;
    c.accelerators = static_cast<std::int64_t>(t.accelerator_count());
    c.spares = static_cast<std::int64_t>(t.spare_count());
    std::vector<std::int64_t> nodes_by_class(t.node_classes().size(), 0);
    for (NodeId v = 0; v < t.node_count(); ++v) ++nodes_by_class[t.node_class_index(v)];
    for (std::size_t i = 0; i < nodes_by_class.size(); ++i) {
        const auto& nc = t.node_classes()[i];
        if (nc.kind != NodeKind::switch_node) continue;
        c.switches += nodes_by_class[i];
        c.switches_by_name[t.levels()[static_cast<std::size_t>(nc.level)].name + "/" + nc.name] += nodes_by_class[i];
    }
    std::vector<std::int64_t> directed_by_class(t.link_classes().size(), 0);
    for (LinkId l = 0; l < t.directed_link_count(); ++l) ++directed_by_class[t.link_class_index(l)];
    for (std::size_t i = 0; i < directed_by_class.size(); ++i) {
        const auto& lc = t.link_classes()[i];
        const std::int64_t links = directed_by_class[i] / 2;
        c.links += links;
        if (lc.spec.medium == Medium::optical) c.optical_links += links;
        c.transceivers += links * lc.spec.transceivers;
        c.links_by_name[t.levels()[static_cast<std::size_t>(lc.level)].name + "/" + lc.name] += links;
    }
    return c;
}

NetworkCost network_cost(const Metrics& m, const CostInputs& in) {
    NetworkCost out;
    double watts = 0, price = 0;
    bool watts_known = true, price_known = true;
    auto missing = [&out](const std::string& what) {
        if (std::find(out.missing.begin(), out.missing.end(), what) == out.missing.end()) out.missing.push_back(what);
    };
    for (const auto& s : m.switch_counts) {
        if (s.count == 0) continue;
        const auto it = in.switches.find(s.name);
        const SwitchFigures f = it == in.switches.end() ? SwitchFigures{} : it->second;
        if (f.power) {
            watts += static_cast<double>(s.count) * f.power->si();
        } else {
            watts_known = false;
            missing("switch '" + s.name + "' power");
        }
        if (f.price) {
            price += static_cast<double>(s.count) * *f.price;
        } else {
            price_known = false;
            missing("switch '" + s.name + "' price");
        }
    }
    if (m.transceivers > 0) {
        if (in.transceiver_power) {
            watts += static_cast<double>(m.transceivers) * in.transceiver_power->si();
        } else {
            watts_known = false;
            missing("transceiver power");
        }
        if (in.transceiver_price) {
            price += static_cast<double>(m.transceivers) * *in.transceiver_price;
        } else {
            price_known = false;
            missing("transceiver price");
        }
    }
    if (watts_known) out.power = units::Watts(watts);
    if (price_known) out.price = price;
    return out;
}

}  // namespace clustersim::topo
