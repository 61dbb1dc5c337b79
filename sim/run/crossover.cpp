#include "run/crossover.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace clustersim::run {

namespace {

std::optional<double> throughput(const CaseResult& r, scenario::Crossover::Metric m) {
    if (m == scenario::Crossover::Metric::training)
        return r.training && r.training->step ? std::optional<double>(r.training->step->tokens_per_s) : std::nullopt;
    return r.serving && r.serving->result ? std::optional<double>(r.serving->result->output_tokens_per_s) : std::nullopt;
}

}  // namespace

std::string_view to_string(CrossoverRow::Status s) {
    switch (s) {
        case CrossoverRow::Status::at_point: return "at_point";
        case CrossoverRow::Status::interpolated: return "interpolated";
        case CrossoverRow::Status::at_most: return "at_most";
        case CrossoverRow::Status::not_reached: return "not_reached";
        case CrossoverRow::Status::no_reference: return "no_reference";
    }
    return "?";
}

std::vector<CrossoverRow> crossovers(const scenario::Scenario& scenario, const RunResult& run) {
    std::vector<CrossoverRow> out;
    for (const auto& x : scenario.crossovers) {
        // The candidate's curve at each sweep point: (chips, tokens/s), by chips.
        std::map<std::string, std::vector<std::pair<std::int64_t, double>>> curves;
        for (std::size_t i = 0; i < scenario.cases.size(); ++i) {
            const auto& c = scenario.cases[i];
            if (c.case_name != x.candidate) continue;
            if (const auto t = throughput(run.cases.at(i), x.metric)) curves[c.series].emplace_back(c.cluster.chip_count, *t);
        }
        for (auto& [point, curve] : curves) std::sort(curve.begin(), curve.end());
        for (std::size_t i = 0; i < scenario.cases.size(); ++i) {
            const auto& c = scenario.cases[i];
            if (c.case_name != x.reference) continue;
            CrossoverRow row;
            row.reference_row = c.name;
            row.candidate = x.candidate;
            row.point = c.series;
            row.metric = x.metric == scenario::Crossover::Metric::training ? "training tokens/s" : "serving output tokens/s";
            row.reference_chips = c.cluster.chip_count;
            const auto target = throughput(run.cases.at(i), x.metric);
            const auto& curve = curves[row.point];
            if (!curve.empty()) {
                row.candidate_max_chips = curve.back().first;
                row.candidate_max_tokens_per_s = curve.back().second;
            }
            if (!target) {
                out.push_back(std::move(row));
                continue;
            }
            row.reference_tokens_per_s = *target;
            row.status = CrossoverRow::Status::not_reached;
            // The smallest count that reaches the target; log-log between it and the row below.
            for (std::size_t k = 0; k < curve.size(); ++k) {
                const auto [n, t] = curve[k];
                if (t < *target) continue;
                if (t == *target) {
                    row.status = CrossoverRow::Status::at_point;
                    row.candidate_chips = static_cast<double>(n);
                } else if (k == 0) {
                    row.status = CrossoverRow::Status::at_most;
                    row.candidate_chips = static_cast<double>(n);
                } else {
                    const auto [n0, t0] = curve[k - 1];
                    const double f = std::log(*target / t0) / std::log(t / t0);
                    row.status = CrossoverRow::Status::interpolated;
                    row.candidate_chips = std::exp(std::log(static_cast<double>(n0)) +
                                                   f * (std::log(static_cast<double>(n)) - std::log(static_cast<double>(n0))));
                }
                break;
            }
            out.push_back(std::move(row));
        }
    }
    return out;
}

}  // namespace clustersim::run
