#include "output/summary.hpp"

#include <cmath>

#include <fmt/format.h>

#include "output/table.hpp"
#include "serve/model.hpp"
#include "units/format.hpp"

namespace clustersim::output {
namespace {

// The metrics worth a column on a terminal; the CSV has them all.
bool in_summary(std::string_view key) {
    return key == "chips" || key == "peak_bf16_dense" || key == "peak_fp8_dense" || key == "peak_fp4_dense" ||
           key == "hbm_capacity" || key == "hbm_bandwidth" || key == "fast_memory" ||
           key == "scale_up_bw_total_both_ways" || key == "scale_out_bw_total_both_ways" ||
           key == "power_all_in" || key == "bisection_bw_per_chip_one_way";
}

std::string_view short_label(std::string_view key) {
    if (key == "chips") return "chips";
    if (key == "peak_bf16_dense") return "BF16";
    if (key == "peak_fp8_dense") return "FP8";
    if (key == "peak_fp4_dense") return "FP4";
    if (key == "hbm_capacity") return "HBM";
    if (key == "hbm_bandwidth") return "HBM BW";
    if (key == "fast_memory") return "HBM+host";
    if (key == "scale_up_bw_total_both_ways") return "scale-up (2-way)";
    if (key == "scale_out_bw_total_both_ways") return "scale-out (2-way)";
    if (key == "power_all_in") return "power all-in";
    if (key == "bisection_bw_per_chip_one_way") return "bisection/chip";
    return key;
}

std::string pct(double f) { return fmt::format("{:.1f}%", 100 * f); }
std::string seconds(double s) { return units::format_si(s, units::Dimension::time); }

/// "0.964×", or "-" when either side is unknown.
std::string times(std::optional<double> a, std::optional<double> b) {
    const auto r = aggregate::ratio(a, b);
    return r ? fmt::format("{:.3g}×", *r) : "-";
}

/// A case's dense peak in one number format.
std::optional<double> peak(const run::CaseResult& c, catalog::Precision precision) {
    const auto& p = c.aggregates.peak_dense[static_cast<std::size_t>(precision)];
    return p ? std::optional<double>(p->si()) : std::nullopt;
}

/// The dense peak in the number format the case trains in (BF16 without a training job).
std::optional<double> peak_of_job(const run::CaseResult& c) {
    return peak(c, c.training && c.training->precision == "fp8" ? catalog::Precision::fp8 : catalog::Precision::bf16);
}

// "0.906× (peak 1.66×)": tokens/s against the baseline's, beside the BF16 peak ratio of the same pair.
std::string delivered_vs_baseline(const run::RunResult& run, const run::CaseResult& c) {
    if (!c.baseline_index) return "-";
    const auto& base = run.cases[*c.baseline_index];
    const auto delivered = aggregate::ratio(run::training_tokens_per_s(c), run::training_tokens_per_s(base));
    if (!delivered) return "-";
    const auto peaks = aggregate::ratio(peak(c, catalog::Precision::bf16), peak(base, catalog::Precision::bf16));
    return fmt::format("{:.3g}× (peak {})", *delivered, peaks ? fmt::format("{:.3g}×", *peaks) : std::string("unknown"));
}

// Training cases: the plan, step time, throughput, utilisation, memory and where the time goes;
// for searched plans, how many plans were tried and why the others were rejected.
std::string training_text(const run::RunResult& run) {
    Table t;
    t.header = {"case", "workload", "plan", "step", "tokens/s", "tokens/s/chip", "MFU", "memory/chip", "compute", "bubble",
                "TP+CP+EP", "PP", "DP", "optim.", "vs baseline"};
    t.right_aligned.assign(t.header.size(), true);
    t.right_aligned[0] = t.right_aligned[1] = t.right_aligned[2] = false;
    std::string notes;
    for (const auto& c : run.cases) {
        if (!c.training) continue;
        const auto& tr = *c.training;
        if (!tr.step) {
            t.rows.push_back({c.name, tr.workload, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"});
            notes += "  " + c.name + ": " + tr.problem + "\n";
            continue;
        }
        const auto& s = *tr.step;
        const auto& b = s.time;
        const double chips = static_cast<double>(s.plan.chips());
        t.rows.push_back({c.name, tr.workload, (tr.searched ? "best: " : "") + train::describe(s.plan), seconds(b.step_s),
                          units::format_si(s.tokens_per_s, units::Dimension::token_rate),
                          units::format_si(s.tokens_per_s / chips, units::Dimension::token_rate), pct(s.mfu),
                          units::format_binary_bytes(s.memory.total()) + (s.fits ? "" : " (!)"), pct(b.compute_s / b.step_s),
                          pct(b.bubble_s / b.step_s), pct((b.tp_comm_s + b.cp_comm_s + b.ep_comm_s) / b.step_s),
                          pct(b.pp_comm_s / b.step_s), pct(b.dp_comm_s / b.step_s), pct(b.optimizer_s / b.step_s),
                          delivered_vs_baseline(run, c)});
        if (!tr.problem.empty()) notes += "  " + c.name + ": " + tr.problem + "\n";
        if (s.memory.offloaded > 0)
            notes += fmt::format("  {}: {} of activations offloaded to host memory per chip, {} of the step exposed\n", c.name,
                                 units::format_binary_bytes(s.memory.offloaded), pct(b.offload_s / b.step_s));
        if (tr.searched) {
            notes += fmt::format("  {}: {} plans tried, {} run", c.name, tr.plans_evaluated, tr.plans_feasible);
            for (const auto& [category, r] : tr.rejected) notes += fmt::format("; {} rejected for {} (e.g. {})", r.count, category, r.example);
            notes += "\n";
            for (const auto& alt : tr.runners_up)
                notes += fmt::format("    next: {} ({}, MFU {})\n", train::describe(alt.plan), seconds(alt.time.step_s), pct(alt.mfu));
        }
    }
    if (t.rows.empty()) return {};
    return "\nTraining (step time and its breakdown as shares of the step; memory per chip at the peak)\n\n" + t.render() +
           (notes.empty() ? "" : "\n" + notes);
}

// "1.12×": the cluster's output tokens/s against the baseline's (both running).
std::string serving_vs_baseline(const run::RunResult& run, const run::CaseResult& c) {
    if (!c.baseline_index) return "-";
    return times(run::serving_output_tokens_per_s(c), run::serving_output_tokens_per_s(run.cases[*c.baseline_index]));
}

// "best: 8 chips tp1 ep1 batch 64": the instance as it ran, marked when the batch was searched.
std::string serving_plan(const serve::ServingPlan& given, const serve::PhaseResult& ran) {
    return (given.batch == 0 ? "best: " : "") + serve::describe(ran.plan);
}

// Serving cases: the decode instance's plan, latency and throughput per chip, the prefill
// instance's, and the cluster's output tokens/s with prefill and decode sharing its chips; the
// prefill plan and the cluster split in the notes.
std::string serving_text(const run::RunResult& run) {
    Table t;
    t.header = {"case", "workload", "decode plan", "TPOT", "decode tokens/s/chip", "prefill tokens/s/chip", "TTFT",
                "output tokens/s", "limited by", "vs baseline"};
    t.right_aligned.assign(t.header.size(), true);
    t.right_aligned[0] = t.right_aligned[1] = t.right_aligned[2] = t.right_aligned[8] = false;
    std::string notes;
    for (const auto& c : run.cases) {
        if (!c.serving) continue;
        const auto& sv = *c.serving;
        const std::string workload = sv.spec.workload ? sv.spec.workload->id : std::string("-");
        if (!sv.result) {
            t.rows.push_back({c.name, workload, "-", "-", "-", "-", "-", "-", "-", "-"});
            notes += "  " + c.name + ": " + sv.problem + "\n";
            continue;
        }
        const auto& r = *sv.result;
        const bool fits = r.decode.memory.total() <= r.decode.usable_hbm_bytes;
        t.rows.push_back({c.name, workload, serving_plan(sv.spec.decode, r.decode) + (fits ? "" : " (!)"), seconds(r.tpot_s),
                          units::format_si(r.decode.tokens_per_s_per_chip, units::Dimension::token_rate),
                          units::format_si(r.prefill.tokens_per_s_per_chip, units::Dimension::token_rate), seconds(r.ttft_s),
                          units::format_si(r.output_tokens_per_s, units::Dimension::token_rate),
                          fmt::format("{} / {}", serve::to_string(r.decode.limiting_resource), serve::to_string(r.decode.batch_limit)),
                          serving_vs_baseline(run, c)});
        notes += fmt::format("  {}: prefill {} ({} / {}), {} of the chips; KV transfer {}\n", c.name,
                             serving_plan(sv.spec.prefill, r.prefill), serve::to_string(r.prefill.limiting_resource),
                             serve::to_string(r.prefill.batch_limit), pct(r.prefill_chip_share), seconds(r.kv_transfer_s));
        if (!sv.problem.empty()) notes += "  " + c.name + ": " + sv.problem + "\n";
    }
    if (t.rows.empty()) return {};
    return "\nServing (decode instance; TTFT includes the KV cache transfer; output tokens/s of the whole cluster, "
           "its chips split between prefill and decode; limited by: the decode step's main resource / what stopped "
           "its batch)\n\n" +
           t.render() + (notes.empty() ? "" : "\n" + notes);
}

/// Interruptions, checkpoints and goodput of the cases with a reliability section.
std::string reliability_text(const run::RunResult& run) {
    Table t;
    t.header = {"case", "profile", "interruptions/day", "MTTI", "checkpoint", "every", "restart", "useful", "goodput", "vs baseline"};
    t.right_aligned = {false, false, true, true, true, true, true, true, true, true};
    std::string notes;
    for (const auto& c : run.cases) {
        if (!c.reliability) continue;
        const auto& r = *c.reliability;
        if (!r.note.empty()) notes += "  " + c.name + ": " + r.note + "\n";
        const auto& o = r.outcome;
        const std::string vs =
            c.baseline_index ? times(run::goodput_tokens_per_s(c), run::goodput_tokens_per_s(run.cases[*c.baseline_index])) : "-";
        t.rows.push_back({c.name, r.profile, fmt::format("{:.3g}", o.interruptions_per_day()),
                          std::isfinite(o.mtti_s) ? fmt::format("{:.3g} h", o.mtti_s / 3600) : "none", seconds(o.checkpoint_s), seconds(o.interval_s),
                          seconds(o.mean_restart_s()), pct(o.useful_fraction),
                          r.goodput_tokens_per_s > 0 ? units::format_si(r.goodput_tokens_per_s, units::Dimension::token_rate) : "-", vs});
    }
    if (t.rows.empty()) return {};
    return "\nReliability (interruptions of the training job from its parts; a checkpoint of its state every interval; restart: "
           "mean per interruption, a spare's swap-in where one covers it; goodput = tokens/s x useful fraction)\n\n" +
           t.render() + (notes.empty() ? "" : "\n" + notes);
}

template <class F>
std::optional<double> economics_figure(const run::CaseResult& c, F field) {
    return c.economics ? c.economics->outcome.*field : std::nullopt;
}

/// The answer in one table: each case against its baseline, peak against delivered, and what the
/// delivered throughput costs in power and money. Shown when a pair has a job or economics.
std::string headline_text(const run::RunResult& run) {
    Table t;
    t.header = {"case", "vs", "chips", "peak", "training tokens/s", "serving tokens/s", "power", "capex", "$/M training tokens",
                "$/M output tokens"};
    t.right_aligned.assign(t.header.size(), true);
    t.right_aligned[0] = t.right_aligned[1] = false;
    bool jobs = false;
    for (const auto& c : run.cases) {
        if (!c.baseline_index) continue;
        const auto& b = run.cases[*c.baseline_index];
        jobs = jobs || c.training || c.serving || c.economics;
        using O = economics::Outcome;
        t.rows.push_back({c.name, b.name, times(static_cast<double>(c.aggregates.chip_count), static_cast<double>(b.aggregates.chip_count)),
                          times(peak_of_job(c), peak_of_job(b)), times(run::training_tokens_per_s(c), run::training_tokens_per_s(b)),
                          times(run::serving_output_tokens_per_s(c), run::serving_output_tokens_per_s(b)),
                          times(economics_figure(c, &O::facility_power_w), economics_figure(b, &O::facility_power_w)),
                          times(economics_figure(c, &O::capex_usd), economics_figure(b, &O::capex_usd)),
                          times(economics_figure(c, &O::training_cost_per_million_tokens_usd),
                                economics_figure(b, &O::training_cost_per_million_tokens_usd)),
                          times(economics_figure(c, &O::serving_cost_per_million_output_tokens_usd),
                                economics_figure(b, &O::serving_cost_per_million_output_tokens_usd))});
    }
    if (t.rows.empty() || !jobs) return {};
    return "Headline: each case against its baseline, peak against delivered (ratios; peak: dense FLOP/s in the training "
           "job's format, BF16 or FP8; power at the facility; '-' unknown or not run)\n\n" +
           t.render() + "\n";
}

/// Power, capital and the cost of a token, for the cases with an economics section.
std::string economics_text(const run::RunResult& run) {
    Table t;
    t.header = {"case", "power", "capex", "cost/hour", "J/training token", "$/M training tokens", "J/output token", "$/M output tokens",
                "unknown"};
    t.right_aligned.assign(t.header.size(), true);
    t.right_aligned[0] = t.right_aligned[8] = false;
    auto money = [](std::optional<double> v) { return v ? units::format_si(*v, units::Dimension::money) : std::string("-"); };
    auto joules = [](std::optional<double> v) { return v ? fmt::format("{:.3g} J", *v) : std::string("-"); };
    for (const auto& c : run.cases) {
        if (!c.economics) continue;
        const auto& o = c.economics->outcome;
        std::string unknown;
        for (const auto& u : o.unknown) unknown += (unknown.empty() ? "" : ", ") + u;
        t.rows.push_back({c.name, o.facility_power_w ? units::format_si(*o.facility_power_w, units::Dimension::power) : "-",
                          money(o.capex_usd), money(o.cost_per_hour_usd), joules(o.training_energy_per_token_j),
                          money(o.training_cost_per_million_tokens_usd), joules(o.serving_energy_per_output_token_j),
                          money(o.serving_cost_per_million_output_tokens_usd), unknown.empty() ? "-" : unknown});
    }
    if (t.rows.empty()) return {};
    return "\nEconomics (facility power = IT power x PUE; cost/hour = capex over its amortisation + electricity; per token: "
           "the delivered training and serving throughput above)\n\n" +
           t.render();
}

}  // namespace

std::string crossover_text(const std::vector<run::CrossoverRow>& rows) {
    if (rows.empty()) return {};
    Table t;
    t.header = {"reference", "chips", "delivers", "candidate", "chips to match", "per reference chip", "candidate's largest run"};
    t.right_aligned = {false, true, true, false, true, true, false};
    for (const auto& r : rows) {
        using S = run::CrossoverRow::Status;
        std::string chips = "-";
        std::string per = "-";
        if (r.candidate_chips) {
            chips = (r.status == S::at_most ? "<= " : r.status == S::interpolated ? "~" : "") + fmt::format("{:.0f}", *r.candidate_chips);
            per = (r.status == S::at_most ? "<= " : "") + fmt::format("{:.3g}", *r.candidate_chips / static_cast<double>(r.reference_chips));
        } else if (r.status == S::not_reached) {
            chips = "not reached";
        }
        const std::string largest = r.candidate_max_chips > 0
                                        ? fmt::format("{} chips: {}", r.candidate_max_chips,
                                                      units::format_si(r.candidate_max_tokens_per_s, units::Dimension::token_rate))
                                        : "-";
        t.rows.push_back({r.reference_row, std::to_string(r.reference_chips),
                          r.status == S::no_reference ? "-"
                                                      : units::format_si(r.reference_tokens_per_s, units::Dimension::token_rate) +
                                                            (r.metric == "training tokens/s" ? " training" : " output"),
                          r.candidate + (r.point.empty() ? "" : " at " + r.point), chips, per, largest});
    }
    return "\nCrossover: chips of the candidate that deliver what the reference delivers (training tokens/s, or serving "
           "output tokens/s; log-log between the candidate's sweep points; '<=': its smallest run already does)\n\n" +
           t.render();
}

std::string format_metric(const aggregate::MetricInfo& m, const std::optional<double>& v) {
    if (!v) return "unknown";
    if (m.unit_suffix == "hops") return fmt::format("{:.4g} hops", *v);
    if (m.is_count) return fmt::format("{}", static_cast<long long>(*v));
    if (m.dimension == units::Dimension::data) return units::format_binary_bytes(*v);
    std::string text = units::format_si(*v, m.dimension);
    if (m.unit_suffix == "op_per_s") text.replace(text.find("FLOP"), 4, "OP");  // integer operations
    return text;
}

std::string summary_text(const run::RunResult& run) {
    Table peaks;
    Table ratios;
    peaks.header = {"case"};
    ratios.header = {"case", "vs"};
    aggregate::for_each_metric(aggregate::Aggregates{}, [&](const aggregate::MetricInfo& m, const auto&) {
        if (!in_summary(m.key)) return;
        peaks.header.emplace_back(short_label(m.key));
        ratios.header.emplace_back(short_label(m.key));
    });
    peaks.right_aligned.assign(peaks.header.size(), true);
    peaks.right_aligned[0] = false;
    ratios.right_aligned.assign(ratios.header.size(), true);
    ratios.right_aligned[0] = ratios.right_aligned[1] = false;

    for (const auto& c : run.cases) {
        std::vector<std::string> row{c.name};
        std::vector<std::optional<double>> values;
        aggregate::for_each_metric(c.aggregates, [&](const aggregate::MetricInfo& m, std::optional<double> v) {
            if (!in_summary(m.key)) return;
            row.push_back(format_metric(m, v));
            values.push_back(v);
        });
        peaks.rows.push_back(std::move(row));
        if (!c.baseline_index || c.name == c.baseline) continue;
        std::vector<std::string> rrow{c.name, c.baseline};
        std::size_t k = 0;
        aggregate::for_each_metric(run.cases[*c.baseline_index].aggregates,
                                   [&](const aggregate::MetricInfo& m, std::optional<double> b) {
                                       if (!in_summary(m.key)) return;
                                       const auto r = aggregate::ratio(values[k++], b);
                                       rrow.push_back(r ? fmt::format("{:.3g}×", *r) : "unknown");
                                   });
        ratios.rows.push_back(std::move(rrow));
    }
    std::string out = headline_text(run) + "Scenario " + run.scenario + ": peak aggregates (dense FLOP/s; HBM in binary units; " +
                      "bandwidth totals count both directions)\n\n" + peaks.render();
    if (!ratios.rows.empty()) out += "\nAgainst each case's baseline:\n\n" + ratios.render();
    return out + training_text(run) + serving_text(run) + reliability_text(run) + economics_text(run);
}

}  // namespace clustersim::output
