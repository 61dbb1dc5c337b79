#include "aggregate/aggregates.hpp"

namespace clustersim::aggregate {
namespace {

// Per-chip figure times the chip count; unknown stays unknown.
template <class Q>
std::optional<Q> times(const catalog::Figure<Q>& f, double n) {
    return f.known() ? std::optional<Q>(*f.value * n) : std::nullopt;
}

}  // namespace

topo::CostInputs cost_inputs(const catalog::TopologyParts& parts) {
    topo::CostInputs in;
    for (const auto& [tier, part] : parts.switches) {
        topo::SwitchFigures f;
        f.power = part->power.value;
        if (part->price.known()) f.price = part->price.value->si();
        in.switches.emplace(tier, f);
    }
    if (parts.transceiver) {
        in.transceiver_power = parts.transceiver->power.value;
        if (parts.transceiver->price.known()) in.transceiver_price = parts.transceiver->price.value->si();
    }
    return in;
}

topo::NetworkCost network_cost_of(const catalog::TopologySpec& topology, const topo::Metrics& network) {
    return topo::network_cost(network, cost_inputs(topology.parts));
}

Aggregates compute_aggregates(const catalog::Cluster& cluster, const topo::Metrics* network,
                              const topo::NetworkCost* cost_given) {
    const auto& chip = *cluster.chip;
    const double n = static_cast<double>(cluster.chip_count);
    Aggregates a;
    a.chip_count = cluster.chip_count;
    a.scale_up_domain = cluster.scale_up_domain.value;
    for (const auto p : catalog::all_precisions) {
        a.peak_dense[static_cast<std::size_t>(p)] = times(chip.peak_dense(p), n);
    }
    a.hbm_capacity = times(chip.hbm_capacity, n);
    a.hbm_bandwidth = times(chip.hbm_bandwidth, n);
    a.host_memory = cluster.host_memory.value;
    if (a.hbm_capacity && a.host_memory) a.fast_memory = *a.hbm_capacity + *a.host_memory;
    // Catalog bandwidths are one direction; vendors' system totals count both directions.
    a.scale_up_per_chip_one_way = chip.scale_up_bandwidth.value;
    a.scale_up_total_both_ways = times(chip.scale_up_bandwidth, 2.0 * n);
    a.scale_out_per_chip_one_way = chip.scale_out_bandwidth.value;
    a.scale_out_total_both_ways = times(chip.scale_out_bandwidth, 2.0 * n);
    a.chip_power_total = times(chip.tdp, n);
    a.power_all_in = cluster.power_all_in.value;
    if (!cluster.topology) return a;
    const topo::Metrics own = network ? topo::Metrics{} : topo::analyze(cluster.topology->params);
    const topo::Metrics& m = network ? *network : own;
    a.switches = m.switches;
    a.links = m.links;
    a.optical_transceivers = m.transceivers;
    a.bisection = m.bisection;
    if (m.bisection && m.accelerators >= 2) {
        a.bisection_per_chip = *m.bisection / (static_cast<double>(m.accelerators) / 2.0);
    }
    a.diameter_hops = m.diameter;
    a.average_hops = m.average_hops;
    units::BytesPerSecond up(0.0);
    units::BytesPerSecond out(0.0);
    for (const auto& level : m.levels) (level.plane_kind == topo::PlaneKind::scale_up ? up : out) += level.injection;
    a.injection_scale_up = up;
    a.injection_scale_out = out;
    const topo::NetworkCost own_cost = cost_given ? topo::NetworkCost{} : network_cost_of(*cluster.topology, m);
    const topo::NetworkCost& cost = cost_given ? *cost_given : own_cost;
    a.network_power = cost.power;
    if (cost.price) a.network_price = units::Usd(*cost.price);
    if (cluster.chip_count > 0) {
        const double chips = static_cast<double>(cluster.chip_count);
        if (a.network_power) a.network_power_per_chip = *a.network_power / chips;
        if (a.network_price) a.network_price_per_chip = *a.network_price / chips;
    }
    return a;
}

std::optional<double> ratio(std::optional<double> a, std::optional<double> b) {
    if (!a || !b || *b == 0.0) return std::nullopt;
    return *a / *b;
}

}  // namespace clustersim::aggregate
