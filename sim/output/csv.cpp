#include "output/csv.hpp"

#include "units/format.hpp"

namespace clustersim::output {
namespace {

const std::vector<std::string> id_columns{"scenario", "case", "baseline", "system", "chip", "topology"};

std::string number(const std::optional<double>& v) { return v ? units::round_trip(*v) : std::string(); }

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
            out += "\n";
        }
    }
    return out;
}

}  // namespace clustersim::output
