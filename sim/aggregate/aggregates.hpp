#pragma once
// Peak aggregates of a cluster: per-chip catalog figures times the chip count,
// plus the system-level figures (all-in power, host memory) where the catalog has them.
//
// This is the vendors' own arithmetic (docs/models/aggregates.md): linear aggregation at
// 100%, no losses. It is what "weaker chip, bigger cluster" claims are made of; the
// delivered-throughput models (chip, comm, plan) start from here.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "catalog/cluster.hpp"
#include "topo/metrics.hpp"
#include "units/dimension.hpp"

namespace clustersim::aggregate {

struct Aggregates {
    std::int64_t chip_count = 0;
    std::optional<std::int64_t> scale_up_domain;
    std::array<std::optional<units::FlopsPerSecond>, 4> peak_dense{};  ///< by catalog::Precision
    std::optional<units::Bytes> hbm_capacity;
    std::optional<units::BytesPerSecond> hbm_bandwidth;
    std::optional<units::Bytes> host_memory;
    std::optional<units::Bytes> fast_memory;  ///< HBM + host memory (NVIDIA's "fast memory")
    std::optional<units::BytesPerSecond> scale_up_per_chip_one_way;
    std::optional<units::BytesPerSecond> scale_up_total_both_ways;  ///< vendors' headline convention
    std::optional<units::BytesPerSecond> scale_out_per_chip_one_way;
    std::optional<units::BytesPerSecond> scale_out_total_both_ways;
    std::optional<units::Watts> chip_power_total;  ///< chip TDP x count (chips only)
    std::optional<units::Watts> power_all_in;      ///< system all-in figure, scaled to the count

    // The network, when the cluster has a topology (topo::analyze, docs/models/topology.md).
    std::optional<std::int64_t> switches;
    std::optional<std::int64_t> links;  ///< physical, full-duplex
    std::optional<std::int64_t> optical_transceivers;
    std::optional<units::BytesPerSecond> bisection;           ///< worst balanced cut, one direction
    std::optional<units::BytesPerSecond> bisection_per_chip;  ///< bisection / (chips / 2)
    std::optional<std::int64_t> diameter_hops;
    std::optional<double> average_hops;
    std::optional<units::BytesPerSecond> injection_scale_up;   ///< per chip, one direction, all scale-up levels
    std::optional<units::BytesPerSecond> injection_scale_out;  ///< per chip, one direction, all scale-out levels
    // Network power and price: switch count x the tier's switch part + optical transceivers x the
    // transceiver part (topo::network_cost with the topology's `parts`); unknown when any figure it
    // needs is unknown, never zero.
    std::optional<units::Watts> network_power;
    std::optional<units::Usd> network_price;
    std::optional<units::Watts> network_power_per_chip;  ///< network_power / chips
    std::optional<units::Usd> network_price_per_chip;    ///< network_price / chips

    [[nodiscard]] std::optional<units::FlopsPerSecond> peak(catalog::Precision p) const {
        return peak_dense[static_cast<std::size_t>(p)];
    }
};

/// Peak aggregates; the network figures come from `network` (topo::analyze of the cluster's
/// topology) and its power and price from `cost` (network_cost_of the topology), each computed here
/// when not given (the runner computes both once per distinct topology).
Aggregates compute_aggregates(const catalog::Cluster& cluster, const topo::Metrics* network = nullptr,
                              const topo::NetworkCost* cost = nullptr);

/// A topology's network power and price: topo::network_cost with the topology's parts.
topo::NetworkCost network_cost_of(const catalog::TopologySpec& topology, const topo::Metrics& network);

/// The per-part figures topo::network_cost takes, from a topology's parts: each named switch
/// tier's power and price, the transceiver's power and price. Unknown figures stay unknown.
topo::CostInputs cost_inputs(const catalog::TopologyParts& parts);

/// One output metric: its CSV column is `key + "_" + unit_suffix`, its ratio column `key + "_vs_baseline"`.
struct MetricInfo {
    std::string_view key;
    std::string_view unit_suffix;  ///< "flop_per_s", "bytes", "bytes_per_s", "w", "usd", "count"
    units::Dimension dimension;    ///< for human display; counts use Dimension::compute with is_count
    bool is_count;
    std::string_view description;
};

/// Calls f(info, value) for every metric, in the documented column order (docs/results-schema.md).
template <class F>
void for_each_metric(const Aggregates& a, F&& f);

/// a / b when both are known and b is non-zero.
std::optional<double> ratio(std::optional<double> a, std::optional<double> b);

// ---------------------------------------------------------------- implementation

namespace detail {
template <class Q>
std::optional<double> si(const std::optional<Q>& q) {
    return q ? std::optional<double>(q->si()) : std::nullopt;
}
inline std::optional<double> si(const std::optional<std::int64_t>& n) {
    return n ? std::optional<double>(static_cast<double>(*n)) : std::nullopt;
}
inline std::optional<double> si(const std::optional<double>& x) { return x; }
}  // namespace detail

template <class F>
void for_each_metric(const Aggregates& a, F&& f) {
    using units::Dimension;
    using detail::si;
    f(MetricInfo{"chips", "count", Dimension::compute, true, "accelerators"},
      std::optional<double>(static_cast<double>(a.chip_count)));
    f(MetricInfo{"scale_up_domain", "chips", Dimension::compute, true, "accelerators per scale-up domain"},
      si(a.scale_up_domain));
    f(MetricInfo{"peak_bf16_dense", "flop_per_s", Dimension::compute_rate, false, "dense peak BF16"},
      si(a.peak(catalog::Precision::bf16)));
    f(MetricInfo{"peak_fp8_dense", "flop_per_s", Dimension::compute_rate, false, "dense peak FP8"},
      si(a.peak(catalog::Precision::fp8)));
    f(MetricInfo{"peak_fp4_dense", "flop_per_s", Dimension::compute_rate, false, "dense peak FP4"},
      si(a.peak(catalog::Precision::fp4)));
    f(MetricInfo{"peak_int8_dense", "op_per_s", Dimension::compute_rate, false, "dense peak INT8"},
      si(a.peak(catalog::Precision::int8)));
    f(MetricInfo{"hbm_capacity", "bytes", Dimension::data, false, "HBM capacity"}, si(a.hbm_capacity));
    f(MetricInfo{"hbm_bandwidth", "bytes_per_s", Dimension::data_rate, false, "HBM bandwidth"}, si(a.hbm_bandwidth));
    f(MetricInfo{"host_memory", "bytes", Dimension::data, false, "host (CPU) memory"}, si(a.host_memory));
    f(MetricInfo{"fast_memory", "bytes", Dimension::data, false, "HBM + host memory"}, si(a.fast_memory));
    f(MetricInfo{"scale_up_bw_per_chip_one_way", "bytes_per_s", Dimension::data_rate, false,
                 "scale-up bandwidth per chip, one direction"},
      si(a.scale_up_per_chip_one_way));
    f(MetricInfo{"scale_up_bw_total_both_ways", "bytes_per_s", Dimension::data_rate, false,
                 "scale-up bandwidth, all chips, both directions"},
      si(a.scale_up_total_both_ways));
    f(MetricInfo{"scale_out_bw_per_chip_one_way", "bytes_per_s", Dimension::data_rate, false,
                 "scale-out bandwidth per chip, one direction"},
      si(a.scale_out_per_chip_one_way));
    f(MetricInfo{"scale_out_bw_total_both_ways", "bytes_per_s", Dimension::data_rate, false,
                 "scale-out bandwidth, all chips, both directions"},
      si(a.scale_out_total_both_ways));
    f(MetricInfo{"chip_power_total", "w", Dimension::power, false, "chip TDP x count"}, si(a.chip_power_total));
    f(MetricInfo{"power_all_in", "w", Dimension::power, false, "all-in system power"}, si(a.power_all_in));
    f(MetricInfo{"switches", "count", Dimension::compute, true, "network switches"}, si(a.switches));
    f(MetricInfo{"links", "count", Dimension::compute, true, "network links (full duplex)"}, si(a.links));
    f(MetricInfo{"optical_transceivers", "count", Dimension::compute, true, "optical transceivers"},
      si(a.optical_transceivers));
    f(MetricInfo{"bisection_bw_one_way", "bytes_per_s", Dimension::data_rate, false,
                 "bisection bandwidth, one direction"},
      si(a.bisection));
    f(MetricInfo{"bisection_bw_per_chip_one_way", "bytes_per_s", Dimension::data_rate, false,
                 "bisection bandwidth per chip of one half, one direction"},
      si(a.bisection_per_chip));
    f(MetricInfo{"diameter", "hops", Dimension::compute, true, "network diameter"}, si(a.diameter_hops));
    f(MetricInfo{"average_distance", "hops", Dimension::compute, false, "average hops between chips"},
      si(a.average_hops));
    f(MetricInfo{"injection_scale_up_per_chip_one_way", "bytes_per_s", Dimension::data_rate, false,
                 "scale-up injection per chip, one direction"},
      si(a.injection_scale_up));
    f(MetricInfo{"injection_scale_out_per_chip_one_way", "bytes_per_s", Dimension::data_rate, false,
                 "scale-out injection per chip, one direction"},
      si(a.injection_scale_out));
    f(MetricInfo{"network_power", "w", Dimension::power, false, "network power: switches and optical transceivers"},
      si(a.network_power));
    f(MetricInfo{"network_price", "usd", Dimension::money, false, "network price: switches and optical transceivers"},
      si(a.network_price));
    f(MetricInfo{"network_power_per_chip", "w", Dimension::power, false, "network power per chip"},
      si(a.network_power_per_chip));
    f(MetricInfo{"network_price_per_chip", "usd", Dimension::money, false, "network price per chip"},
      si(a.network_price_per_chip));
}

}  // namespace clustersim::aggregate
