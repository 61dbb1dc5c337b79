#include "output/csv.hpp"

#include <cmath>

#include <iterator>

#include "chip/chip_model.hpp"
#include "serve/model.hpp"
#include "units/format.hpp"

namespace clustersim::output {
namespace {

const std::vector<std::string> id_columns{"scenario", "case", "baseline", "system", "chip", "topology"};

std::string number(const std::optional<double>& v) { return v ? units::round_trip(*v) : std::string(); }

std::string boolean(bool b) { return b ? "true" : "false"; }

/// The training columns (docs/results-schema.md, "Training"): empty for cases without training,
/// and the step's columns empty when no plan runs.
struct TrainingColumn {
    const char* name;
    std::string (*value)(const run::TrainingOutcome&);
};
using S = const run::TrainingOutcome&;
std::string step_number(S t, double train::StepResult::*field) { return t.step ? units::round_trip((*t.step).*field) : ""; }
std::string time_number(S t, double train::StepBreakdown::*field) { return t.step ? units::round_trip(t.step->time.*field) : ""; }
std::string plan_int(S t, std::int64_t train::Plan::*field) { return t.step ? std::to_string(t.step->plan.*field) : ""; }
std::string error_of(S t) {
    return t.measured && t.predicted ? units::round_trip(train::relative_error(*t.predicted, t.measured->value)) : "";
}

const TrainingColumn training_columns[] = {
    {"training_workload", [](S t) { return t.workload; }},
    {"global_batch_sequences", [](S t) { return std::to_string(t.global_batch); }},
    {"seq_len_tokens", [](S t) { return std::to_string(t.seq_len); }},
    {"precision", [](S t) { return t.precision; }},
    {"plan_source", [](S t) { return std::string(t.searched ? "search" : "given"); }},
    {"tp", [](S t) { return plan_int(t, &train::Plan::tp); }},
    {"pp", [](S t) { return plan_int(t, &train::Plan::pp); }},
    {"dp", [](S t) { return plan_int(t, &train::Plan::dp); }},
    {"cp", [](S t) { return plan_int(t, &train::Plan::cp); }},
    {"ep", [](S t) { return plan_int(t, &train::Plan::ep); }},
    {"virtual_stages", [](S t) { return plan_int(t, &train::Plan::virtual_stages); }},
    {"micro_batch_sequences", [](S t) { return plan_int(t, &train::Plan::micro_batch); }},
    {"micro_batches", [](S t) { return t.step ? std::to_string(t.step->micro_batches) : ""; }},
    {"sequence_parallel", [](S t) { return t.step ? boolean(t.step->plan.sequence_parallel) : ""; }},
    {"recompute", [](S t) { return t.step ? std::string(train::to_string(t.step->plan.recompute)) : ""; }},
    {"optimizer", [](S t) { return t.step ? std::string(train::to_string(t.step->plan.optimizer)) : ""; }},
    {"step_time_s", [](S t) { return time_number(t, &train::StepBreakdown::step_s); }},
    {"tokens_per_s", [](S t) { return step_number(t, &train::StepResult::tokens_per_s); }},
    {"mfu", [](S t) { return step_number(t, &train::StepResult::mfu); }},
    {"hfu", [](S t) { return step_number(t, &train::StepResult::hfu); }},
    {"model_flop_per_step", [](S t) { return step_number(t, &train::StepResult::model_flops); }},
    {"memory_per_chip_bytes", [](S t) { return t.step ? units::round_trip(t.step->memory.total()) : ""; }},
    {"memory_fits", [](S t) { return t.step ? boolean(t.step->fits) : ""; }},
    {"compute_s", [](S t) { return time_number(t, &train::StepBreakdown::compute_s); }},
    {"recompute_s", [](S t) { return time_number(t, &train::StepBreakdown::recompute_s); }},
    {"tp_comm_s", [](S t) { return time_number(t, &train::StepBreakdown::tp_comm_s); }},
    {"cp_comm_s", [](S t) { return time_number(t, &train::StepBreakdown::cp_comm_s); }},
    {"ep_comm_s", [](S t) { return time_number(t, &train::StepBreakdown::ep_comm_s); }},
    {"pp_comm_s", [](S t) { return time_number(t, &train::StepBreakdown::pp_comm_s); }},
    {"bubble_s", [](S t) { return time_number(t, &train::StepBreakdown::bubble_s); }},
    {"dp_comm_s", [](S t) { return time_number(t, &train::StepBreakdown::dp_comm_s); }},
    {"optimizer_s", [](S t) { return time_number(t, &train::StepBreakdown::optimizer_s); }},
    {"dp_algorithm", [](S t) { return t.step ? t.step->dp.algorithm : ""; }},
    {"dp_bottleneck", [](S t) { return t.step ? t.step->dp.bottleneck : ""; }},
    {"plans_evaluated", [](S t) { return t.searched ? std::to_string(t.plans_evaluated) : ""; }},
    {"plans_feasible", [](S t) { return t.searched ? std::to_string(t.plans_feasible) : ""; }},
    {"training_problem", [](S t) { return t.problem; }},
    {"measured_metric", [](S t) { return t.measured ? std::string(train::to_string(t.measured->metric)) : ""; }},
    {"measured_value_si", [](S t) { return t.measured ? units::round_trip(t.measured->value) : ""; }},
    {"predicted_value_si", [](S t) { return t.predicted ? units::round_trip(*t.predicted) : ""; }},
    {"relative_error", error_of},
};

/// The serving columns (docs/results-schema.md, "Serving"): empty for cases without serving. The
/// job's inputs (workload, precisions, lengths, limits, the instances' shapes) are always written;
/// what the model computes is empty when the case cannot run (serving_problem says why).
struct ServingRow {
    const run::ServingOutcome& s;
    const run::ServingOutcome* baseline;  ///< the baseline case's, when the case has one with serving
};
struct ServingColumn {
    const char* name;
    std::string (*value)(const ServingRow&);
};
/// One instance's columns, written once per phase as `prefill_NAME` and `decode_NAME`.
struct PhaseColumn {
    const char* name;
    std::string (*value)(const serve::ServingPlan& given, const serve::PhaseResult* ran);
};
using R = const ServingRow&;
using G = const serve::ServingPlan&;
using P = const serve::PhaseResult*;
std::string result_number(R r, double serve::ServingResult::*field) {
    return r.s.result ? units::round_trip((*r.s.result).*field) : "";
}
std::string phase_time(P p, double serve::StepTime::*field) { return p ? units::round_trip(p->time.*field) : ""; }
std::string phase_memory(P p, double serve::ServingMemory::*field) { return p ? units::round_trip(p->memory.*field) : ""; }
std::string serving_error(R r) {
    return r.s.measured && r.s.predicted ? units::round_trip(train::relative_error(*r.s.predicted, r.s.measured->value)) : "";
}
// Cluster output tokens/s against the baseline's: the serving counterpart of tokens_per_s_vs_baseline.
std::string serving_vs_baseline(R r) {
    if (!r.s.result || !r.baseline || !r.baseline->result) return "";
    return number(aggregate::ratio(r.s.result->output_tokens_per_s, r.baseline->result->output_tokens_per_s));
}

const ServingColumn serving_head[] = {
    {"serving_workload", [](R r) { return r.s.spec.workload ? r.s.spec.workload->id : std::string(); }},
    {"serving_weights", [](R r) { return std::string(chip::to_string(r.s.spec.weights)); }},
    {"serving_kv_cache", [](R r) { return std::string(chip::to_string(r.s.spec.kv_cache)); }},
    {"serving_attention", [](R r) { return std::string(chip::to_string(r.s.spec.attention)); }},
    {"prompt_tokens", [](R r) { return std::to_string(r.s.spec.prompt_tokens); }},
    {"output_tokens", [](R r) { return std::to_string(r.s.spec.output_tokens); }},
    {"tpot_limit_s", [](R r) { return number(r.s.spec.tpot_limit_s); }},
    {"ttft_limit_s", [](R r) { return number(r.s.spec.ttft_limit_s); }},
    {"draft_tokens", [](R r) { return std::to_string(r.s.spec.speculation.draft_tokens); }},
    {"draft_acceptance", [](R r) {
         const auto& sp = r.s.spec.speculation;
         return sp.draft_tokens > 0 ? units::round_trip(sp.acceptance) : std::string();
     }},
};

const PhaseColumn phase_columns[] = {
    {"chips", [](G g, P) { return std::to_string(g.chips); }},
    {"ranks_per_chip", [](G g, P) { return std::to_string(g.ranks_per_chip); }},
    {"tp", [](G g, P) { return std::to_string(g.tp); }},
    {"ep", [](G g, P) { return std::to_string(g.ep); }},
    {"batch_sequences", [](G g, P p) {
         if (p) return std::to_string(p->plan.batch);
         return g.batch > 0 ? std::to_string(g.batch) : std::string();
     }},
    {"batch_searched", [](G g, P) { return boolean(g.batch == 0); }},
    {"max_batch_sequences", [](G, P p) { return p ? std::to_string(p->max_batch) : ""; }},
    {"batch_limit", [](G, P p) { return p ? std::string(serve::to_string(p->batch_limit)) : ""; }},
    {"step_s", [](G, P p) { return phase_time(p, &serve::StepTime::step_s); }},
    {"kernels_s", [](G, P p) { return phase_time(p, &serve::StepTime::kernels_s); }},
    {"compute_s", [](G, P p) { return phase_time(p, &serve::StepTime::compute_s); }},
    {"memory_s", [](G, P p) { return phase_time(p, &serve::StepTime::memory_s); }},
    {"overhead_s", [](G, P p) { return phase_time(p, &serve::StepTime::overhead_s); }},
    {"ep_comm_s", [](G, P p) { return phase_time(p, &serve::StepTime::ep_comm_s); }},
    {"tp_comm_s", [](G, P p) { return phase_time(p, &serve::StepTime::tp_comm_s); }},
    {"weights_bytes", [](G, P p) { return phase_memory(p, &serve::ServingMemory::weights); }},
    {"kv_cache_bytes", [](G, P p) { return phase_memory(p, &serve::ServingMemory::kv_cache); }},
    {"activation_bytes", [](G, P p) { return phase_memory(p, &serve::ServingMemory::activations); }},
    {"hbm_usable_bytes", [](G, P p) { return p ? units::round_trip(p->usable_hbm_bytes) : ""; }},
    {"overlapped", [](G, P p) { return p ? std::string(p->overlapped ? "true" : "false") : ""; }},
    {"limiting_resource", [](G, P p) { return p ? std::string(serve::to_string(p->limiting_resource)) : ""; }},
    {"ep_algorithm", [](G, P p) { return p ? p->ep_algorithm : ""; }},
    {"ep_bottleneck", [](G, P p) { return p ? p->ep_bottleneck : ""; }},
    {"tp_algorithm", [](G, P p) { return p ? p->tp_algorithm : ""; }},
    {"tp_bottleneck", [](G, P p) { return p ? p->tp_bottleneck : ""; }},
};

const ServingColumn serving_tail[] = {
    {"prefill_tokens_per_s_per_chip", [](R r) { return r.s.result ? units::round_trip(r.s.result->prefill.tokens_per_s_per_chip) : ""; }},
    {"decode_tokens_per_s_per_chip", [](R r) { return r.s.result ? units::round_trip(r.s.result->decode.tokens_per_s_per_chip) : ""; }},
    {"decode_draft_s", [](R r) { return r.s.result ? units::round_trip(r.s.result->decode.time.draft_s) : ""; }},
    {"ttft_s", [](R r) { return result_number(r, &serve::ServingResult::ttft_s); }},
    {"tpot_s", [](R r) { return result_number(r, &serve::ServingResult::tpot_s); }},
    {"kv_transfer_s", [](R r) { return result_number(r, &serve::ServingResult::kv_transfer_s); }},
    {"prefill_chip_share", [](R r) { return result_number(r, &serve::ServingResult::prefill_chip_share); }},
    {"serving_requests_per_s", [](R r) { return result_number(r, &serve::ServingResult::requests_per_s); }},
    {"serving_output_tokens_per_s", [](R r) { return result_number(r, &serve::ServingResult::output_tokens_per_s); }},
    {"serving_output_tokens_per_s_per_chip", [](R r) { return result_number(r, &serve::ServingResult::output_tokens_per_s_per_chip); }},
    {"serving_output_tokens_per_s_vs_baseline", serving_vs_baseline},
    {"serving_measured_metric", [](R r) { return r.s.measured ? std::string(train::to_string(r.s.measured->metric)) : ""; }},
    {"serving_measured_value_si", [](R r) { return r.s.measured ? units::round_trip(r.s.measured->value) : ""; }},
    {"serving_predicted_value_si", [](R r) { return r.s.predicted ? units::round_trip(*r.s.predicted) : ""; }},
    {"serving_relative_error", serving_error},
    {"serving_problem", [](R r) { return r.s.problem; }},
};

constexpr serve::Phase phases[] = {serve::Phase::prefill, serve::Phase::decode};

std::vector<std::string> serving_columns() {
    std::vector<std::string> cols;
    for (const auto& s : serving_head) cols.emplace_back(s.name);
    for (const serve::Phase ph : phases)
        for (const auto& p : phase_columns) cols.push_back(std::string(serve::to_string(ph)) + "_" + p.name);
    for (const auto& s : serving_tail) cols.emplace_back(s.name);
    return cols;
}

/// ",cell,cell,..." for the serving columns of case `c` (compared with `baseline`, when given).
std::string serving_cells(const run::CaseResult& c, const run::CaseResult* baseline) {
    std::string out;
    if (!c.serving) {
        out.append(std::size(serving_head) + 2 * std::size(phase_columns) + std::size(serving_tail), ',');
        return out;
    }
    const run::ServingOutcome* base = baseline && baseline->serving ? &*baseline->serving : nullptr;
    const ServingRow row{*c.serving, base};
    for (const auto& s : serving_head) out += "," + csv_field(s.value(row));
    for (const serve::Phase ph : phases) {
        const bool pre = ph == serve::Phase::prefill;
        const serve::ServingPlan& given = pre ? row.s.spec.prefill : row.s.spec.decode;
        const serve::PhaseResult* ran = row.s.result ? (pre ? &row.s.result->prefill : &row.s.result->decode) : nullptr;
        for (const auto& p : phase_columns) out += "," + csv_field(p.value(given, ran));
    }
    for (const auto& s : serving_tail) out += "," + csv_field(s.value(row));
    return out;
}

/// The reliability columns (docs/results-schema.md, "Reliability"): empty for cases without a
/// reliability section.
struct ReliabilityColumn {
    const char* name;
    std::string (*value)(const run::ReliabilityOutcome&);
};
const ReliabilityColumn reliability_columns[] = {
    {"reliability_profile", [](const run::ReliabilityOutcome& r) { return r.profile; }},
    {"failure_parts_hosts", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.parts.hosts); }},
    {"failure_parts_switches", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.parts.switches); }},
    {"failure_parts_links", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.parts.links); }},
    {"failure_parts_transceivers", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.parts.transceivers); }},
    {"interruptions_per_day", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.interruptions_per_day()); }},
    {"planned_interruptions_per_day",
     [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.rate.planned_per_s * 86400.0); }},
    {"hardware_interruptions_per_day",
     [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.rate.hardware_per_s * 86400.0); }},
    // Empty when no part can fail (an infinite mean time to interruption).
    {"mtti_s", [](const run::ReliabilityOutcome& r) { return std::isfinite(r.outcome.mtti_s) ? units::round_trip(r.outcome.mtti_s) : ""; }},
    {"checkpoint_bytes", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.checkpoint_bytes); }},
    {"checkpoint_write_s", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.checkpoint_s); }},
    {"checkpoint_interval_s", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.interval_s); }},
    {"restart_s", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.restart_s); }},
    {"availability", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.availability()); }},
    {"useful_fraction", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.useful_fraction); }},
    {"goodput_tokens_per_s",
     [](const run::ReliabilityOutcome& r) { return r.goodput_tokens_per_s > 0 ? units::round_trip(r.goodput_tokens_per_s) : std::string(); }},
};

/// The reliability columns of schema v8 (docs/results-schema.md, "Reliability columns (schema v8)"):
/// racks for correlated (rack-level) events and hot spares; appended after cabinets_count, empty for
/// cases without a reliability section.
std::string spared(const run::ReliabilityOutcome& r, double v) { return r.spare_accelerators > 0 ? units::round_trip(v) : std::string(); }
const ReliabilityColumn reliability_v8_columns[] = {
    // Empty when the count is unknown (no accelerators_per_rack and no system cabinets).
    {"failure_parts_racks",
     [](const run::ReliabilityOutcome& r) { return r.racks_known ? units::round_trip(r.parts.racks) : std::string(); }},
    {"rack_interruptions_per_day", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.rate.rack_per_s * 86400.0); }},
    // The spares' columns: empty without a spares section.
    {"spare_accelerators_count", [](const run::ReliabilityOutcome& r) { return spared(r, r.spare_accelerators); }},
    {"spared_interruptions_per_day", [](const run::ReliabilityOutcome& r) { return spared(r, r.outcome.spared_per_s * 86400.0); }},
    {"spares_busy_fraction", [](const run::ReliabilityOutcome& r) { return spared(r, r.outcome.spares_busy); }},
    {"swap_s", [](const run::ReliabilityOutcome& r) { return spared(r, r.outcome.swap_s); }},
    {"mean_restart_s", [](const run::ReliabilityOutcome& r) { return units::round_trip(r.outcome.mean_restart_s()); }},
};

/// The economics columns (docs/results-schema.md, "Economics"): empty for cases without an
/// economics section; each figure empty when an input it needs is unknown (economics_unknown says which).
struct EconomicsColumn {
    const char* name;
    std::string (*value)(const run::EconomicsOutcome&);
};
using E = const run::EconomicsOutcome&;
std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : "; ") + i;
    return out;
}
const EconomicsColumn economics_columns[] = {
    {"electricity_price_usd_per_kwh", [](E e) { return units::round_trip(e.assumptions.electricity_usd_per_j * 3.6e6); }},
    {"pue", [](E e) { return units::round_trip(e.assumptions.pue); }},
    {"amortization_s", [](E e) { return units::round_trip(e.assumptions.amortization_s); }},
    {"it_power_w", [](E e) { return number(e.outcome.it_power_w); }},
    {"facility_power_w", [](E e) { return number(e.outcome.facility_power_w); }},
    {"capex_usd", [](E e) { return number(e.outcome.capex_usd); }},
    {"capex_per_chip_usd", [](E e) { return number(e.outcome.capex_per_chip_usd); }},
    {"capex_per_hour_usd", [](E e) { return number(e.outcome.capex_per_hour_usd); }},
    {"energy_per_hour_usd", [](E e) { return number(e.outcome.energy_per_hour_usd); }},
    {"cost_per_hour_usd", [](E e) { return number(e.outcome.cost_per_hour_usd); }},
    {"training_energy_per_token_j", [](E e) { return number(e.outcome.training_energy_per_token_j); }},
    {"training_cost_per_million_tokens_usd", [](E e) { return number(e.outcome.training_cost_per_million_tokens_usd); }},
    {"training_tokens_per_s_per_kw", [](E e) { return number(e.outcome.training_tokens_per_s_per_kw); }},
    {"training_tokens_per_s_per_musd", [](E e) { return number(e.outcome.training_tokens_per_s_per_musd); }},
    {"serving_energy_per_output_token_j", [](E e) { return number(e.outcome.serving_energy_per_output_token_j); }},
    {"serving_cost_per_million_output_tokens_usd", [](E e) { return number(e.outcome.serving_cost_per_million_output_tokens_usd); }},
    {"serving_output_tokens_per_s_per_kw", [](E e) { return number(e.outcome.serving_output_tokens_per_s_per_kw); }},
    {"serving_output_tokens_per_s_per_musd", [](E e) { return number(e.outcome.serving_output_tokens_per_s_per_musd); }},
    {"power_basis", [](E e) { return e.outcome.power_basis; }},
    {"capex_basis", [](E e) { return e.outcome.capex_basis; }},
    {"economics_unknown", [](E e) { return joined(e.outcome.unknown); }},
    {"economics_omitted", [](E e) { return joined(e.outcome.omitted); }},
};

}  // namespace

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

/// Schema v10: the execution switches of the training and serving jobs, as the case runs them (empty
/// without that job).
struct TrainingSwitch {
    const char* name;
    std::string (*value)(const train::Execution&);
};
std::string attention_name(const train::Execution& e) {
    if (!e.flash_attention) return "unfused";
    return e.attention_kernel == chip::AttentionKernel::flash_triton ? "flash_triton" : "flash";
}
std::string joined_order(const train::Execution& e) {
    std::string out;
    for (const auto& d : e.order) out += (out.empty() ? "" : "-") + d;
    return out;
}
std::string forced_algorithms(const train::Execution& e) {
    std::string out;
    for (const auto& [dimension, algorithm] : e.algorithms) out += (out.empty() ? "" : ";") + dimension + "=" + algorithm;
    return out;
}
const TrainingSwitch training_switches[] = {
    {"training_attention", attention_name},
    {"training_elementwise", [](const train::Execution& e) { return std::string(e.eager_elementwise ? "eager" : "fused"); }},
    {"training_overlap_grad_reduce", [](const train::Execution& e) { return boolean(e.overlap_grad_reduce); }},
    {"training_overlap_tp_comm", [](const train::Execution& e) { return boolean(e.overlap_tp_comm); }},
    {"training_grad_reduce_bytes_per_element", [](const train::Execution& e) { return units::round_trip(e.grad_bytes); }},
    {"training_rank_order", joined_order},
    {"training_forced_algorithms", forced_algorithms},
    {"training_memory_reserve_fraction", [](const train::Execution& e) { return units::round_trip(e.memory_reserve); }},
};
/// Schema v11: the switches added after v10, then which path the expert exchanges took, appended after
/// every v10 column.
const TrainingSwitch training_switches_v11[] = {
    {"training_overlap_ep_comm", [](const train::Execution& e) { return boolean(e.overlap_ep_comm); }},
    {"training_fp8_scaling",
     [](const train::Execution& e) { return std::string(e.fp8_block_scaled ? "block" : e.fp8_current_scaling ? "current" : "tensor"); }},
    {"training_dispatch_bytes_per_element", [](const train::Execution& e) { return units::round_trip(e.dispatch_bytes); }},
};
const TrainingColumn training_columns_v11[] = {
    {"training_ep_algorithm", [](S t) { return t.step ? t.step->ep.algorithm : ""; }},
    {"training_ep_bottleneck", [](S t) { return t.step ? t.step->ep.bottleneck : ""; }},
};
struct ServingSwitch {
    const char* name;
    std::string (*value)(const serve::ServingExecution&);
};
const ServingSwitch serving_switches[] = {
    {"serving_overlap_comm", [](const serve::ServingExecution& e) { return boolean(e.overlap_comm); }},
    {"serving_expert_imbalance_ratio", [](const serve::ServingExecution& e) { return units::round_trip(e.expert_imbalance); }},
    {"serving_dispatch_bytes_per_element", [](const serve::ServingExecution& e) { return units::round_trip(e.dispatch_bytes); }},
    {"serving_disaggregated", [](const serve::ServingExecution& e) { return boolean(e.disaggregated); }},
    {"serving_memory_reserve_fraction", [](const serve::ServingExecution& e) { return units::round_trip(e.memory_reserve); }},
    {"serving_fp8_scaling", [](const serve::ServingExecution& e) { return std::string(e.fp8_block_scaled ? "block" : "tensor"); }},
};
/// Schema v15: per phase, whether the activation quantisation runs as kernels of their own (ServingExecution).
std::string activation_quant(bool separate) { return separate ? "separate" : "fused"; }

/// Schema v16: activation offloading, the plan's layers and what they do to the step.
const TrainingColumn training_columns_v16[] = {
    {"training_activation_offload_layers", [](S t) { return plan_int(t, &train::Plan::offload_layers); }},
    {"offloaded_per_chip_bytes", [](S t) { return t.step ? units::round_trip(t.step->memory.offloaded) : ""; }},
    {"offload_s", [](S t) { return time_number(t, &train::StepBreakdown::offload_s); }},
};

/// Schema v12: the shared-expert ranks of each serving instance (serve::ServingPlan::shared_expert_ranks).
const char* const serving_columns_v12[] = {"prefill_shared_expert_ranks", "decode_shared_expert_ranks"};

std::vector<std::string> results_columns() {
    std::vector<std::string> cols = id_columns;
    std::vector<std::string> ratios;
    aggregate::for_each_metric(aggregate::Aggregates{}, [&](const aggregate::MetricInfo& m, const auto&) {
        cols.push_back(std::string(m.key) + "_" + std::string(m.unit_suffix));
        ratios.push_back(std::string(m.key) + "_vs_baseline");
    });
    cols.insert(cols.end(), ratios.begin(), ratios.end());
    for (const auto& t : training_columns) cols.emplace_back(t.name);
    cols.emplace_back("tokens_per_s_vs_baseline");
    const auto serving = serving_columns();
    cols.insert(cols.end(), serving.begin(), serving.end());
    for (const auto& rc : reliability_columns) cols.emplace_back(rc.name);
    for (const auto& ec : economics_columns) cols.emplace_back(ec.name);
    cols.emplace_back("base_case");
    cols.emplace_back("series");
    for (const char* c : {"package_cost_usd", "good_dies_per_wafer", "wafers_needed", "cabinets_count"}) cols.emplace_back(c);
    for (const auto& rc : reliability_v8_columns) cols.emplace_back(rc.name);
    cols.emplace_back("goodput_tokens_per_s_vs_baseline");
    cols.emplace_back("recompute_layers");
    for (const auto& s : training_switches) cols.emplace_back(s.name);
    for (const auto& s : serving_switches) cols.emplace_back(s.name);
    for (const auto& s : training_switches_v11) cols.emplace_back(s.name);
    for (const auto& t : training_columns_v11) cols.emplace_back(t.name);
    for (const char* name : serving_columns_v12) cols.emplace_back(name);
    cols.emplace_back("recompute_modules");
    cols.emplace_back("pipeline_schedule");
    cols.emplace_back("training_activation_cache");
    cols.emplace_back("pipeline_layers_per_stage");
    cols.emplace_back("prefill_activation_quant");
    cols.emplace_back("decode_activation_quant");
    for (const auto& t : training_columns_v16) cols.emplace_back(t.name);
    cols.emplace_back("training_fsdp");
    cols.emplace_back("training_grad_accumulation");
    cols.emplace_back("training_rope");
    cols.emplace_back("training_pipeline_sends");
    cols.emplace_back("training_overlap_tp_backward");
    return cols;
}

std::string results_header() {
    std::string out;
    const auto cols = results_columns();
    for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i];
    return out + "\n";
}

std::string results_row(const run::CaseResult& c, const run::CaseResult* baseline) {
    std::string out = csv_field(c.scenario) + "," + csv_field(c.name) + "," + csv_field(c.baseline) + "," +
                      csv_field(c.system_id) + "," + csv_field(c.chip_id) + "," + csv_field(c.topology);
    std::vector<std::optional<double>> values;
    aggregate::for_each_metric(c.aggregates, [&](const aggregate::MetricInfo&, std::optional<double> v) { values.push_back(v); });
    std::vector<std::optional<double>> base(values.size());
    if (baseline) {
        std::size_t k = 0;
        aggregate::for_each_metric(baseline->aggregates, [&](const aggregate::MetricInfo&, std::optional<double> v) { base[k++] = v; });
    }
    for (const auto& v : values) out += "," + number(v);
    for (std::size_t k = 0; k < values.size(); ++k) out += "," + number(aggregate::ratio(values[k], base[k]));
    for (const auto& t : training_columns) out += "," + (c.training ? csv_field(t.value(*c.training)) : std::string());
    // Delivered against the baseline's delivered: the counterpart of the peak ratios above.
    const auto delivered = baseline ? aggregate::ratio(run::training_tokens_per_s(c), run::training_tokens_per_s(*baseline))
                                    : std::nullopt;
    out += "," + number(delivered) + serving_cells(c, baseline);
    for (const auto& rc : reliability_columns) out += "," + (c.reliability ? csv_field(rc.value(*c.reliability)) : std::string());
    for (const auto& ec : economics_columns) out += "," + (c.economics ? csv_field(ec.value(*c.economics)) : std::string());
    out += "," + csv_field(c.base_case) + "," + csv_field(c.series);
    // The wafer model's answers, with an economics `silicon` section.
    const economics::PackageCost* package = c.economics && c.economics->package ? &*c.economics->package : nullptr;
    out += "," + number(package ? package->package_usd : std::nullopt) + "," +
           number(package ? package->good_dies_per_wafer : std::nullopt) + "," +
           number(c.economics ? c.economics->wafers_needed : std::nullopt) + "," + number(c.cabinets);
    for (const auto& rc : reliability_v8_columns) out += "," + (c.reliability ? csv_field(rc.value(*c.reliability)) : std::string());
    out += "," + number(baseline ? aggregate::ratio(run::goodput_tokens_per_s(c), run::goodput_tokens_per_s(*baseline)) : std::nullopt);
    // v9: the layers per model chunk that recompute in full (recompute_layers); empty when every layer does.
    const train::StepResult* step = c.training && c.training->step ? &*c.training->step : nullptr;
    out += "," + (step && step->plan.recompute_layers > 0 ? std::to_string(step->plan.recompute_layers) : std::string());
    // v10: the execution switches.
    for (const auto& s : training_switches) out += "," + (c.training ? csv_field(s.value(c.training->execution)) : std::string());
    for (const auto& s : serving_switches) out += "," + (c.serving ? csv_field(s.value(c.serving->spec.execution)) : std::string());
    // v11: the switches added since.
    for (const auto& s : training_switches_v11) out += "," + (c.training ? csv_field(s.value(c.training->execution)) : std::string());
    for (const auto& t : training_columns_v11) out += "," + (c.training ? csv_field(t.value(*c.training)) : std::string());
    // v12: the serving instances' shared-expert ranks.
    for (const serve::ServingPlan* plan : {c.serving ? &c.serving->spec.prefill : nullptr, c.serving ? &c.serving->spec.decode : nullptr})
        out += "," + (plan ? std::to_string(plan->shared_expert_ranks) : std::string());
    // v13: what selective recomputation re-runs; empty for the other granularities.
    out += "," + (step && step->plan.recompute == train::Recompute::selective ? train::to_string(step->plan.recompute_modules)
                                                                              : std::string());
    // v13: the pipeline schedule (1f1b, its interleaved form with virtual_stages > 1, or dualpipe).
    out += "," + (step ? std::string(train::to_string(step->plan.schedule)) : std::string());
    out += "," + (c.training ? std::string(c.training->execution.fp8_activation_cache ? "fp8" : "bf16") : std::string());
    // v14: the pipeline's uneven split as the plan gave it ("17/20/22/21"); empty for the even split.
    std::string layers;
    if (step)
        for (const std::int64_t n : step->plan.layers_per_stage) layers += (layers.empty() ? "" : "/") + std::to_string(n);
    out += "," + layers;
    const auto* quant = c.serving ? &c.serving->spec.execution.separate_activation_quant : nullptr;
    out += "," + (quant ? activation_quant(quant->prefill) : std::string());
    out += "," + (quant ? activation_quant(quant->decode) : std::string());
    // v16: activation offloading.
    for (const auto& t : training_columns_v16) out += "," + (c.training ? csv_field(t.value(*c.training)) : std::string());
    // v17: how zero3's parameters and gradients are held (train::FsdpBuffers) and how micro-batches' gradients add up.
    out += "," + (c.training ? std::string(train::to_string(c.training->execution.fsdp)) : std::string());
    out += "," + (c.training ? std::string(train::to_string(c.training->execution.grad_accumulation)) : std::string());
    // v18: the rotary embedding's kernels.
    out += "," + (c.training ? std::string(c.training->execution.fused_rope ? "fused" : "unfused") : std::string());
    // v19: how pipeline sends travel without sequence parallelism; the column-parallel backward exchanges' overlap.
    out += "," + (c.training ? std::string(c.training->execution.split_pipeline_sends ? "split" : "whole") : std::string());
    out += "," + (c.training ? boolean(c.training->execution.overlap_tp_backward) : std::string());
    return out + "\n";
}

std::string results_csv(const std::vector<run::RunResult>& runs) {
    std::string out = results_header();
    for (const auto& r : runs) {
        for (const auto& c : r.cases) out += results_row(c, c.baseline_index ? &r.cases[*c.baseline_index] : nullptr);
    }
    return out;
}

}  // namespace clustersim::output
