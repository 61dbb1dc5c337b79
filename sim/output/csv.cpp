#include "output/csv.hpp"

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
    return cols;
}

std::string results_csv(const std::vector<run::RunResult>& runs) {
    std::string out;
    const auto cols = results_columns();
    for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i];
    out += "\n";
    for (const auto& r : runs) {
        for (const auto& c : r.cases) {
            out += csv_field(c.scenario) + "," + csv_field(c.name) + "," + csv_field(c.baseline) + "," +
                   csv_field(c.system_id) + "," + csv_field(c.chip_id) + "," + csv_field(c.topology);
            std::vector<std::optional<double>> values;
            aggregate::for_each_metric(c.aggregates, [&](const aggregate::MetricInfo&, std::optional<double> v) {
                values.push_back(v);
            });
            std::vector<std::optional<double>> base(values.size());
            if (c.baseline_index) {
                std::size_t k = 0;
                aggregate::for_each_metric(r.cases[*c.baseline_index].aggregates,
                                           [&](const aggregate::MetricInfo&, std::optional<double> v) { base[k++] = v; });
            }
            for (const auto& v : values) out += "," + number(v);
            for (std::size_t k = 0; k < values.size(); ++k) out += "," + number(aggregate::ratio(values[k], base[k]));
            for (const auto& t : training_columns) out += "," + (c.training ? csv_field(t.value(*c.training)) : std::string());
            // Delivered against the baseline's delivered: the counterpart of the peak ratios above.
            std::optional<double> delivered;
            if (c.baseline_index && c.training && c.training->step) {
                const auto& b = r.cases[*c.baseline_index].training;
                if (b && b->step) delivered = aggregate::ratio(c.training->step->tokens_per_s, b->step->tokens_per_s);
            }
            out += "," + number(delivered) + "\n";
        }
    }
    return out;
}

}  // namespace clustersim::output
