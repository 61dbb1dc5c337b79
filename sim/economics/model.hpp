#pragma once
// Power, capital and operating cost of a cluster, and energy and cost per token: pure functions of
// plain values. Equations and sources: docs/models/economics.md.
//
// Units: SI inside (W, J, s), money in US dollars, electricity in USD per joule. Every figure that
// may be unknown is a std::optional: an unknown input gives an unknown output, never a zero, unless
// the assumptions say to leave unknown host and network terms out (and then Outcome::omitted
// names them).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/cluster.hpp"
#include "catalog/process.hpp"

namespace clustersim::economics {

/// A figure quoted for a whole system of `chips` accelerators (all-in power, system price); it
/// scales linearly to another count.
struct SystemFigure {
    double value = 0;
    std::int64_t chips = 0;
};

/// What the model needs to know about one cluster. Per-chip figures are per accelerator.
struct Inputs {
    std::int64_t chips = 0;                         ///< accelerators in the cluster, > 0
    std::optional<double> chip_tdp_w;               ///< one accelerator's TDP
    std::optional<double> host_power_w_per_chip;    ///< server power beyond the accelerators, per accelerator
    std::optional<SystemFigure> power_all_in_w;     ///< a system's all-in power (chips, hosts, network as the source counts)
    std::optional<double> network_power_w;          ///< switches and optics of the whole cluster
    std::optional<double> chip_price_usd;           ///< one accelerator, without its server
    std::optional<double> host_price_usd_per_chip;  ///< server beyond the accelerators, per accelerator
    std::optional<SystemFigure> system_price_usd;   ///< a system's price, as the source counts it
    std::optional<double> network_price_usd;        ///< switches and optics of the whole cluster
    std::optional<double> training_tokens_per_s;    ///< delivered training throughput of the cluster
    std::optional<double> serving_output_tokens_per_s;  ///< delivered serving output throughput of the cluster
};

/// The cluster's inputs from the catalog: chip TDP, price and host figures from the effective chip,
/// all-in power and price from the system (already scaled to the cluster's count by make_cluster).
/// Network power and price and the throughputs are left for the caller.
Inputs inputs_from_cluster(const catalog::Cluster& cluster);

/// The wafer model applied to the case's chip (an `economics.silicon` section): the foundry process
/// its compute dies are made on, and what HBM and packaging add per package.
struct Silicon {
    catalog::ProcessSpec process;
    double hbm_usd = 0;        ///< HBM stacks of one package
    double packaging_usd = 0;  ///< interposer or substrate, assembly and test of one package
    /// true: the capital cost counts each chip at its package cost (bottom up: chips, hosts,
    /// network; a system's price is not used); false: the catalog's prices, the package cost beside.
    bool price_chips = false;
};

/// Scenario assumptions (docs/scenario-format.md, "Economics"), all required but `silicon`.
struct Assumptions {
    double electricity_usd_per_j = 0;  ///< price of electricity, > 0 (0.08 USD/kWh = 2.22e-8 USD/J)
    double pue = 1;                    ///< power usage effectiveness, >= 1: facility power / IT power
    double amortization_s = 0;         ///< straight-line depreciation period of the capital, > 0
    /// false: an unknown host or network term makes the total unknown. true: it is left out (the
    /// total is a lower bound) and named in Outcome::omitted.
    bool omit_unknown_parts = false;
    std::optional<Silicon> silicon;
};

/// The answers; each is unknown when an input it needs is.
struct Outcome {
    std::optional<double> it_power_w;        ///< chips + hosts + network, or the system's all-in figure
    std::optional<double> facility_power_w;  ///< IT power x PUE
    std::optional<double> capex_usd;
    std::optional<double> capex_per_chip_usd;
    std::optional<double> capex_per_hour_usd;   ///< capex / amortisation period
    std::optional<double> energy_per_hour_usd;  ///< facility power x 1 h x electricity price
    std::optional<double> cost_per_hour_usd;    ///< capex_per_hour + energy_per_hour
    std::optional<double> training_energy_per_token_j;          ///< facility power / training tokens/s
    std::optional<double> training_cost_per_million_tokens_usd;  ///< cost per hour / tokens per hour x 1e6
    std::optional<double> training_tokens_per_s_per_kw;         ///< per kW of facility power
    std::optional<double> training_tokens_per_s_per_musd;        ///< per million USD of capex
    std::optional<double> serving_energy_per_output_token_j;
    std::optional<double> serving_cost_per_million_output_tokens_usd;
    std::optional<double> serving_output_tokens_per_s_per_kw;
    std::optional<double> serving_output_tokens_per_s_per_musd;
    std::string power_basis;  ///< "system all-in", "chips + hosts + network", ...
    std::string capex_basis;
    std::vector<std::string> unknown;  ///< inputs whose absence left an answer unknown
    std::vector<std::string> omitted;  ///< unknown terms left out under omit_unknown_parts
};

/// Throws std::invalid_argument on inputs no cluster can have (chips <= 0, a negative figure, a
/// system figure for 0 chips) or assumptions out of range (price or period <= 0, PUE < 1).
Outcome evaluate(const Inputs& in, const Assumptions& a);

/// Joules per token at `power_w` for `tokens_per_s` (> 0): power / rate.
double energy_per_token_j(double power_w, double tokens_per_s);
/// USD per million tokens at `cost_per_hour_usd` for `tokens_per_s` (> 0): cost / (rate x 3600) x 1e6.
double cost_per_million_tokens_usd(double cost_per_hour_usd, double tokens_per_s);

}  // namespace clustersim::economics
