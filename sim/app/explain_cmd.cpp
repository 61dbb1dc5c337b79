#include "app/explain_cmd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>

#include "app/cli.hpp"
#include "diag/suggest.hpp"
#include "output/atomic_file.hpp"
#include "output/kernels_csv.hpp"
#include "output/table.hpp"
#include "run/runner.hpp"
#include "units/format.hpp"

namespace clustersim::app {
namespace {

std::string seconds(double s) { return units::format_si(s, units::Dimension::time); }
std::string percent(double part, double whole) { return whole > 0 ? fmt::format("{:.1f}%", 100.0 * part / whole) : "-"; }

/// A kernel's shape in a few characters: m x n x k (x batch) of a product, the attention's batch, heads, head
/// size and sequences (and its ring steps), the bytes a memory-bound kernel moves.
std::string shape_text(const chip::Operation& op, double bytes) {
    if (const auto* mm = std::get_if<chip::Matmul>(&op))
        return fmt::format("{}x{}x{}{}", mm->m, mm->n, mm->k, mm->batch > 1 ? fmt::format(" ({} batched)", mm->batch) : "");
    if (const auto* a = std::get_if<chip::Attention>(&op))
        return fmt::format("b{} h{}/{} d{} s{}/{}{}{}", a->batch, a->heads_q, a->heads_kv, a->head_dim, a->seq_q, a->seq_kv,
                           a->causal ? " causal" : "", a->query_passes > 1 ? fmt::format(" in {} steps", a->query_passes) : "");
    return units::format_si(bytes, units::Dimension::data);
}

std::string kernel_text(const train::KernelRow& r) {
    std::string name(chip::name_of(r.op));
    if (const auto* mm = std::get_if<chip::Matmul>(&r.op); mm && mm->gradient != chip::Gradient::none)
        name += mm->gradient == chip::Gradient::input ? " dX" : " dW";
    return name.empty() ? "(unnamed)" : name;
}

/// How a job's kernels split (by kind and by pass; bound by memory; launch overhead), and the `top` longest per step.
std::string kernel_table(const std::vector<train::KernelRow>& rows, double kernels_s, std::size_t top) {
    std::map<std::string_view, double> by_kind, by_pass;
    double memory_bound = 0, overhead = 0;
    for (const auto& r : rows) {
        by_kind[chip::kind_of(r.op)] += r.step_s();
        by_pass[r.pass] += r.step_s();
        if (r.cost.bound == chip::Bound::memory) memory_bound += r.step_s();
        overhead += r.calls_per_step * r.cost.overhead_s;
    }
    std::vector<std::string> kinds, passes;
    for (const auto& [k, v] : by_kind) kinds.push_back(fmt::format("{} {} ({})", k, seconds(v), percent(v, kernels_s)));
    for (const auto& [k, v] : by_pass) passes.push_back(fmt::format("{} {} ({})", k, seconds(v), percent(v, kernels_s)));
    std::string out = fmt::format("{}; {}; bound by memory {}, launch overhead {}\n", fmt::join(kinds, ", "), fmt::join(passes, ", "),
                                  percent(memory_bound, kernels_s), percent(overhead, kernels_s));
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return rows[x].step_s() > rows[y].step_s(); });
    output::Table table;
    table.header = {"part", "pass", "kernel", "shape", "bound", "per call", "calls", "per step", "of kernels", "delivered"};
    table.right_aligned = {false, false, false, false, false, true, true, true, true, true};
    for (std::size_t k = 0; k < std::min(top, order.size()); ++k) {
        const auto& r = rows[order[k]];
        table.rows.push_back({std::string(r.part), std::string(r.pass), kernel_text(r), shape_text(r.op, r.cost.bytes),
                              std::string(chip::to_string(r.cost.bound)), seconds(r.cost.time_s), fmt::format("{:g}", r.calls_per_step),
                              seconds(r.step_s()), percent(r.step_s(), kernels_s),
                              r.cost.bound == chip::Bound::compute
                                  ? units::format_si(r.cost.delivered_flop_per_s(), units::Dimension::compute_rate)
                                  : units::format_si(r.cost.time_s > 0 ? r.cost.bytes / r.cost.time_s : 0.0, units::Dimension::data_rate)});
    }
    return out + fmt::format("the {} longest of {} kernels per step:\n", table.rows.size(), rows.size()) + table.render();
}

std::string render_training(const std::string& case_name, const run::CaseResult& result, const train::KernelBreakdown& b,
                            std::size_t top) {
    const auto& s = b.step;
    const auto& t = s.time;
    const auto& training = *result.training;
    std::string out = fmt::format("{}: training {} on {} x {}, plan {} ({}), {} micro-batch{} per step\n", case_name,
                                  training.workload, result.aggregates.chip_count, result.chip_id, train::describe(s.plan),
                                  training.searched ? "searched" : "given", s.micro_batches, s.micro_batches == 1 ? "" : "es");
    out += fmt::format("step {}: kernels {} ({}; recomputation {}), exposed collectives tp {} cp {} ep {} pp {} dp {}, bubble {}, "
                       "offload {}, optimizer {}\n",
                       seconds(t.step_s), seconds(t.compute_s), percent(t.compute_s, t.step_s), seconds(t.recompute_s),
                       seconds(t.tp_comm_s), seconds(t.cp_comm_s), seconds(t.ep_comm_s), seconds(t.pp_comm_s),
                       seconds(t.dp_comm_s), seconds(t.bubble_s), seconds(t.offload_s), seconds(t.optimizer_s));
    return out + fmt::format("kernels of pipeline rank {} (the slowest): ", s.slowest_rank) + kernel_table(b.rows, t.compute_s, top);
}

std::string render_phase(const serve::PhaseResult& phase, const std::vector<train::KernelRow>& rows, std::size_t top) {
    const auto& t = phase.time;
    std::string out = fmt::format("{} instance: {}, {}\n", serve::to_string(phase.phase), serve::describe(phase.plan),
                                  phase.overlapped ? "two micro-batches overlapping each other's communication" : "one batch");
    out += fmt::format("step {}: kernels {} ({}{}), exposed expert exchange {}, tensor-parallel {}; {} {} per chip\n",
                       seconds(t.step_s), seconds(t.kernels_s), percent(t.kernels_s, t.step_s),
                       t.draft_s > 0 ? "; draft module " + seconds(t.draft_s) : std::string(), seconds(t.ep_comm_s),
                       seconds(t.tp_comm_s), units::format_si(phase.tokens_per_s_per_chip, units::Dimension::token_rate),
                       phase.phase == serve::Phase::prefill ? "prompt" : "output");
    return out + "kernels of one rank: " + kernel_table(rows, t.kernels_s, top);
}

}  // namespace

int run_explain(const std::vector<scenario::Scenario>& scenarios, const ExplainOptions& o, std::ostream& out, std::ostream& err) {
    // Which cases: every case with a training or serving job, or the named ones (each must have one).
    std::vector<std::string> jobs;
    for (const auto& sc : scenarios)
        for (const auto& c : sc.cases)
            if (c.training || c.serving) jobs.push_back(c.name);
    if (jobs.empty()) {
        err << "error: no case of the given files has a training or serving job: explain breaks their steps into kernels\n";
        return exit_usage;
    }
    const std::set<std::string> wanted(o.cases.begin(), o.cases.end());
    for (const auto& name : wanted) {
        if (std::find(jobs.begin(), jobs.end(), name) == jobs.end()) {
            err << "error: --case: no training or serving case '" << name << "'" << diag::did_you_mean(name, jobs)
                << "; cases: " << diag::join_names(jobs) << "\n";
            return exit_usage;
        }
    }
    std::string csv = output::kernels_header();
    std::size_t explained = 0, rows = 0;
    for (const auto& sc : scenarios) {
        std::vector<std::size_t> cases;
        for (std::size_t i = 0; i < sc.cases.size(); ++i)
            if ((sc.cases[i].training || sc.cases[i].serving) && (wanted.empty() || wanted.count(sc.cases[i].name) > 0)) cases.push_back(i);
        if (cases.empty()) continue;
        run::Evaluator evaluator(sc);
        evaluator.prepare(cases);
        for (const std::size_t i : cases) {
            const auto& name = sc.cases[i].name;
            const run::CaseResult result = evaluator.evaluate(i);
            out << (explained > 0 ? "\n" : "");
            ++explained;
            if (result.training && !result.training->step) out << name << ": training: no step to explain: " << result.training->problem << "\n";
            if (result.training && result.training->step) {
                auto kernels = evaluator.kernels(i, result.training->step->plan);
                if (auto* why = std::get_if<std::string>(&kernels)) {
                    out << name << ": training: no step to explain: " << *why << "\n";
                } else {
                    const auto& b = std::get<train::KernelBreakdown>(kernels);
                    out << render_training(name, result, b, o.top);
                    csv += output::kernels_rows(sc.name, name, {"training", train::describe(b.step.plan), b.step.slowest_rank,
                                                                b.step.micro_batches, b.step.time.compute_s, &b.rows});
                    rows += b.rows.size();
                }
            }
            if (!result.serving) continue;
            const auto& serving = *result.serving;
            out << fmt::format("{}: serving {} on {} x {}\n", name, serving.spec.workload->id, result.aggregates.chip_count,
                               result.chip_id);
            if (!serving.result) {
                out << "no step to explain: " << serving.problem << "\n";
                continue;
            }
            for (const serve::PhaseResult* phase : {&serving.result->prefill, &serving.result->decode}) {
                auto kernels = evaluator.kernels(i, *phase);
                if (auto* why = std::get_if<std::string>(&kernels)) {
                    out << serve::to_string(phase->phase) << ": no step to explain: " << *why << "\n";
                    continue;
                }
                const auto& list = std::get<std::vector<train::KernelRow>>(kernels);
                out << render_phase(*phase, list, o.top);
                csv += output::kernels_rows(sc.name, name, {std::string(serve::to_string(phase->phase)), serve::describe(phase->plan),
                                                            std::nullopt, phase->overlapped ? 2 : 1, phase->time.kernels_s, &list});
                rows += list.size();
            }
        }
    }
    if (!o.out_dir.empty()) {
        const auto path = std::filesystem::path(o.out_dir) / "kernels.csv";
        output::write_files_atomically({{path, csv}});
        out << "wrote " << path.string() << " (" << rows << " kernel rows of " << explained << " case" << (explained == 1 ? "" : "s")
            << ")\n";
    }
    return exit_ok;
}

}  // namespace clustersim::app
