#pragma once
// results.csv (docs/results-schema.md, version below): one row per case, snake_case columns
// with the unit in the name, round-trip exact numbers, empty cell = unknown.
#include <string>
#include <vector>

#include "run/runner.hpp"

namespace clustersim::output {

/// 1: peak aggregates; 2: a `topology` column and the network columns; 3: network power and price
/// (`network_power_w`, `network_price_usd` and their per-chip columns, after the other metrics);
/// 4: the training columns; 5: the serving columns (`serving_workload` … `serving_problem`);
/// 6: the reliability columns (`reliability_profile` … `goodput_tokens_per_s`); 7: the economics
/// columns (`electricity_price_usd_per_kwh` … `economics_omitted`), `base_case`, `series`, the wafer
/// model's and `cabinets_count`; 8: racks and spares of the reliability model (`failure_parts_racks`
/// … `mean_restart_s`) and `goodput_tokens_per_s_vs_baseline`; 9: `recompute_layers`; 10: the training and
/// serving execution switches (`training_attention` … `serving_fp8_scaling`); 11: `training_overlap_ep_comm`,
/// `training_fp8_scaling`, `training_dispatch_bytes_per_element`, `training_ep_algorithm` and
/// `training_ep_bottleneck`; 12: `prefill_shared_expert_ranks`, `decode_shared_expert_ranks`; 13:
/// `recompute_modules`, `pipeline_schedule`, `training_activation_cache`; 14: `pipeline_layers_per_stage`; 15:
/// `prefill_activation_quant`, `decode_activation_quant`; 16: `training_activation_offload_layers`,
/// `offloaded_per_chip_bytes`, `offload_s`; 17: `training_fsdp`, `training_grad_accumulation`; 18: `training_rope`;
/// 19: `training_pipeline_sends`, `training_overlap_tp_backward` (last).
inline constexpr int results_schema_version = 19;

std::vector<std::string> results_columns();
/// The header line, then one line per case (with its baseline's result for the ratio columns);
/// results_csv is the header followed by every case's row.
std::string results_header();
std::string results_row(const run::CaseResult& c, const run::CaseResult* baseline);
std::string results_csv(const std::vector<run::RunResult>& runs);

/// RFC 4180 quoting when a field holds a comma, quote or line break.
std::string csv_field(const std::string& s);

}  // namespace clustersim::output
