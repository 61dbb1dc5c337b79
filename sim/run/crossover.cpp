#include "run/crossover.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace clustersim::run {

namespace {

std::optional<double> throughput(const CaseResult& r, scenario::Crossover::Metric m) {
    return m == scenario::Crossover::Metric::training ? training_tokens_per_s(r) : serving_output_tokens_per_s(r);
}

/// The smallest count of `curve` that reaches the row's target, log-log between it and the count
/// below it.
void locate(CrossoverRow& row, const std::vector<std::pair<std::int64_t, double>>& curve) {
    const double target = row.reference_tokens_per_s;
    row.status = CrossoverRow::Status::not_reached;
    for (std::size_t k = 0; k < curve.size(); ++k) {
        const auto [n, t] = curve[k];
        if (t < target) continue;
        if (t == target) {
            row.status = CrossoverRow::Status::at_point;
            row.candidate_chips = static_cast<double>(n);
        } else if (k == 0) {
            row.status = CrossoverRow::Status::at_most;
            row.candidate_chips = static_cast<double>(n);
        } else {
            const auto [n0, t0] = curve[k - 1];
            const double f = std::log(target / t0) / std::log(t / t0);
            row.status = CrossoverRow::Status::interpolated;
            row.candidate_chips =
                std::exp(std::log(static_cast<double>(n0)) + f * (std::log(static_cast<double>(n)) - std::log(static_cast<double>(n0))));
        }
        return;
    }
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

namespace {

/// Two rows are on comparable curves when every sweep axis they share has the same label: a
/// candidate swept over a price the reference does not have gives one curve per price.
bool compatible(const scenario::Case& a, const scenario::Case& b) {
    for (const auto& [key, label] : a.series) {
        for (const auto& [other_key, other_label] : b.series) {
            if (key == other_key && label != other_label) return false;
        }
    }
    return true;
}

}  // namespace

std::vector<CrossoverRow> crossovers(const scenario::Scenario& scenario, const RunResult& run) {
    std::vector<CrossoverRow> out;
    for (const auto& x : scenario.crossovers) {
        // The candidate's curves, one per series in order of first appearance: (chips, tokens/s) by chips,
        // and a row of the series to compare sweep labels with.
        std::vector<std::string> order;
        std::map<std::string, std::pair<const scenario::Case*, std::vector<std::pair<std::int64_t, double>>>> curves;
        for (std::size_t i = 0; i < scenario.cases.size(); ++i) {
            const auto& c = scenario.cases[i];
            if (c.case_name != x.candidate) continue;
            const std::string series = scenario::series_text(c);
            auto [it, added] = curves.try_emplace(series, &c, std::vector<std::pair<std::int64_t, double>>{});
            if (added) order.push_back(series);
            if (const auto t = throughput(run.cases.at(i), x.metric)) it->second.second.emplace_back(c.cluster.chip_count, *t);
        }
        for (auto& [series, curve] : curves) std::sort(curve.second.begin(), curve.second.end());
        for (std::size_t i = 0; i < scenario.cases.size(); ++i) {
            const auto& c = scenario.cases[i];
            if (c.case_name != x.reference) continue;
            const auto target = throughput(run.cases.at(i), x.metric);
            for (const auto& series : order) {
                const auto& [sample, curve] = curves.at(series);
                if (!compatible(c, *sample)) continue;
                CrossoverRow row;
                row.reference_row = c.name;
                row.candidate = x.candidate;
                row.point = series;
                row.metric = x.metric == scenario::Crossover::Metric::training ? "training tokens/s" : "serving output tokens/s";
                row.reference_chips = c.cluster.chip_count;
                if (!curve.empty()) {
                    row.candidate_max_chips = curve.back().first;
                    row.candidate_max_tokens_per_s = curve.back().second;
                }
                if (target) {
                    row.reference_tokens_per_s = *target;
                    locate(row, curve);
                }
                out.push_back(std::move(row));
            }
        }
    }
    return out;
}

}  // namespace clustersim::run
