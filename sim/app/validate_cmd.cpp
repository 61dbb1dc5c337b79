#include "app/validate_cmd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "app/cli.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "output/table.hpp"
#include "run/runner.hpp"
#include "units/format.hpp"

namespace clustersim::app {
namespace {

std::string value_text(train::Metric m, double v) {
    switch (m) {
        case train::Metric::flops_per_chip: return units::format_si(v, units::Dimension::compute_rate);
        case train::Metric::mfu: return fmt::format("{:.1f}%", 100 * v);
        case train::Metric::tokens_per_s:
        case train::Metric::tokens_per_s_per_chip:
        case train::Metric::prefill_tokens_per_s_per_chip:
        case train::Metric::decode_tokens_per_s_per_chip: return units::format_si(v, units::Dimension::token_rate);
        case train::Metric::step_time:
        case train::Metric::tpot:
        case train::Metric::ttft: return units::format_si(v, units::Dimension::time);
    }
    return "";
}

/// What a validation row shows of its case's outcome, training or serving alike.
struct Row {
    std::string workload;
    std::string plan;  ///< "-" when none runs
    std::optional<double> predicted;
    std::string problem;
    bool memory_suspect = false;  ///< the source ran it, but the memory model says it does not fit
};

Row row_of(const run::CaseResult& r, const train::Measurement& m) {
    Row out;
    if (train::is_serving(m.metric)) {
        const auto& s = *r.serving;
        const bool prefill = m.metric == train::Metric::prefill_tokens_per_s_per_chip || m.metric == train::Metric::ttft;
        out.workload = s.spec.workload->id;
        if (s.result) {
            const serve::PhaseResult& phase = prefill ? s.result->prefill : s.result->decode;
            out.plan = std::string(serve::to_string(phase.phase)) + " " + serve::describe(phase.plan);
            out.memory_suspect = phase.memory.total() > phase.usable_hbm_bytes;
        } else {
            out.plan = "-";
        }
        out.predicted = s.predicted;
        out.problem = s.problem;
        return out;
    }
    const auto& t = *r.training;
    out.workload = t.workload;
    out.plan = t.step ? train::describe(t.step->plan) : "-";
    out.predicted = t.predicted;
    out.problem = t.problem;
    out.memory_suspect = t.step && !t.step->fits;
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::vector<std::string> default_validation_files() {
    std::vector<std::string> out;
    const std::filesystem::path dir = CLUSTERSIM_DEFAULT_VALIDATION_DIR;
    if (std::filesystem::is_directory(dir)) {
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            if (e.is_regular_file() && (e.path().extension() == ".yaml" || e.path().extension() == ".yml"))
                out.push_back(e.path().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

int run_validate(const std::vector<scenario::Scenario>& scenarios, const ValidateOptions& o, std::ostream& out) {
    output::Table t;
    t.header = {"case", "chips", "workload", "plan", "metric", "measured", "predicted", "error"};
    t.right_aligned = {false, true, false, false, false, true, true, true};
    std::string csv = "scenario,case,reference,chips,workload,plan,metric,measured_value_si,predicted_value_si,relative_error,problem\n";
    std::vector<double> errors;
    std::vector<std::pair<std::string, std::vector<double>>> by_file;  // scenario name -> |errors|
    std::string worst_case;
    double worst = -1;
    std::size_t skipped = 0, failed = 0;
    std::vector<run::RunResult> results;
    for (const auto& s : scenarios) {
        scenario::Scenario only = s;
        std::erase_if(only.cases, [](const scenario::Case& c) { return !c.measured; });
        skipped += s.cases.size() - only.cases.size();
        if (only.cases.empty()) continue;
        results.push_back(run::run_scenario(only));
        by_file.emplace_back(s.name, std::vector<double>{});
        for (std::size_t i = 0; i < only.cases.size(); ++i) {
            const auto& c = only.cases[i];
            const auto& m = *c.measured;
            const Row r = row_of(results.back().cases[i], m);
            const std::string& plan = r.plan;
            std::string err_text = "-", predicted = "-";
            if (r.predicted) {
                const double e = train::relative_error(*r.predicted, m.value);
                errors.push_back(std::fabs(e));
                by_file.back().second.push_back(std::fabs(e));
                if (std::fabs(e) > worst) {
                    worst = std::fabs(e);
                    worst_case = c.name;
                }
                err_text = fmt::format("{:+.1f}%", 100 * e);
                predicted = value_text(m.metric, *r.predicted);
            } else {
                ++failed;
            }
            if (r.memory_suspect) err_text += " (!mem)";
            t.rows.push_back({c.name, std::to_string(c.cluster.chip_count), r.workload, plan, std::string(train::to_string(m.metric)),
                              value_text(m.metric, m.value), predicted, err_text});
            csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", output::csv_field(s.name), output::csv_field(c.name),
                               output::csv_field(m.reference), c.cluster.chip_count, output::csv_field(r.workload),
                               output::csv_field(plan), train::to_string(m.metric), units::round_trip(m.value),
                               r.predicted ? units::round_trip(*r.predicted) : "",
                               r.predicted ? units::round_trip(train::relative_error(*r.predicted, m.value)) : "",
                               output::csv_field(r.problem));
        }
    }
    if (t.rows.empty()) {
        out << "no case has a 'measured' figure (" << skipped << " cases skipped): nothing to validate\n";
        return exit_usage;
    }
    out << t.render() << "\n";
    if (errors.empty()) {
        out << "no validation case could be predicted (" << failed << " without a plan that runs)\n";
        return exit_validation;
    }
    const double med = median(errors);
    const auto within = [&errors](double x) { return std::count_if(errors.begin(), errors.end(), [x](double e) { return e <= x; }); };
    out << fmt::format("{} cases: median |error| {:.1f}%, worst {:.1f}% ({}); within 10%: {}, within 25%: {}", errors.size(),
                       100 * med, 100 * worst, worst_case, within(0.10), within(0.25));
    if (failed > 0) out << fmt::format("; {} not predicted (no plan runs)", failed);
    if (skipped > 0) out << fmt::format("; {} cases without a measurement skipped", skipped);
    out << "\n(!mem): the source ran this plan (or batch), but the memory model says it does not fit in HBM\n";
    if (by_file.size() > 1) {
        output::Table per;
        per.header = {"scenario", "cases", "median |error|", "worst |error|"};
        per.right_aligned = {false, true, true, true};
        for (const auto& [name, errs] : by_file) {
            if (errs.empty()) continue;
            per.rows.push_back({name, std::to_string(errs.size()), fmt::format("{:.1f}%", 100 * median(errs)),
                                fmt::format("{:.1f}%", 100 * *std::max_element(errs.begin(), errs.end()))});
        }
        out << "\n" << per.render();
    }

    if (!o.out_dir.empty()) {
        const std::filesystem::path dir = o.out_dir;
        output::write_files_atomically({{dir / "validation.csv", csv}, {dir / "results.csv", output::results_csv(results)}});
        out << "wrote " << (dir / "validation.csv").string() << " and " << (dir / "results.csv").string() << "\n";
    }
    const bool median_missed = o.max_median_error > 0 && med > o.max_median_error;
    const bool worst_missed = o.max_worst_error > 0 && (worst > o.max_worst_error || failed > 0);
    if (median_missed || worst_missed) {
        out << "validation targets missed:" << (median_missed ? fmt::format(" median {:.1f}% > {:.1f}%", 100 * med, 100 * o.max_median_error) : "")
            << (worst_missed && worst > o.max_worst_error ? fmt::format(" worst {:.1f}% > {:.1f}%", 100 * worst, 100 * o.max_worst_error) : "")
            << (worst_missed && failed > 0 ? fmt::format(" {} not predicted", failed) : "") << "\n";
        return exit_validation;
    }
    return exit_ok;
}

}  // namespace clustersim::app
