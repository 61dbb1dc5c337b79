#include "catalog/cluster.hpp"

#include <algorithm>

#include "catalog/catalog.hpp"

namespace clustersim::catalog {

std::vector<std::string> Catalog::chip_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, chip] : chips) out.push_back(id);
    return out;
}

std::vector<std::string> Catalog::system_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, system] : systems) out.push_back(id);
    return out;
}

std::vector<std::string> Catalog::switch_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, part] : switches) out.push_back(id);
    return out;
}

std::vector<std::string> Catalog::transceiver_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, part] : transceivers) out.push_back(id);
    return out;
}

std::vector<std::string> Catalog::workload_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, workload] : workloads) out.push_back(id);
    return out;
}

std::vector<std::string> Catalog::process_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, process] : processes) out.push_back(id);
    return out;
}

std::vector<std::string> Catalog::reliability_ids() const {
    std::vector<std::string> out;
    for (const auto& [id, profile] : reliability) out.push_back(id);
    return out;
}

namespace {

template <class Q>
Figure<Q> scaled(const Figure<Q>& f, std::int64_t from, std::int64_t to) {
    if (!f.known() || from == to) return f;
    Figure<Q> out = f;
    out.value = *f.value * (static_cast<double>(to) / static_cast<double>(from));
    out.provenance.confidence = Confidence::derived;
    out.provenance.note = "scaled per chip from the system figure (" + std::to_string(from) + " chips) to " +
                          std::to_string(to) + " chips" +
                          (f.provenance.note.empty() ? std::string() : "; " + f.provenance.note);
    return out;
}

}  // namespace

std::shared_ptr<const ChipSpec> effective_chip(const ChipSpec& chip, const FigureOverrides& system_pins,
                                               const FigureOverrides& case_overrides) {
    return std::make_shared<const ChipSpec>(apply_overrides(apply_overrides(chip, system_pins), case_overrides));
}

Cluster make_cluster(const SystemSpec& system, const ChipSpec& chip, std::optional<std::int64_t> chip_count,
                     const FigureOverrides& case_overrides) {
    return make_cluster(system, effective_chip(chip, system.chip_overrides, case_overrides), chip_count);
}

Cluster make_cluster(const ChipSpec& chip, std::int64_t chip_count, const FigureOverrides& case_overrides) {
    return make_cluster(effective_chip(chip, {}, case_overrides), chip_count);
}

Cluster make_cluster(const SystemSpec& system, std::shared_ptr<const ChipSpec> chip,
                     std::optional<std::int64_t> chip_count) {
    Cluster c;
    c.system_id = system.id;
    c.chip = std::move(chip);
    const std::int64_t preset = system.chip_count.value.value_or(0);
    c.chip_count = chip_count.value_or(preset);
    c.scale_up_domain = system.scale_up_domain;
    if (c.scale_up_domain.known() && *c.scale_up_domain.value > c.chip_count) {
        c.scale_up_domain.value = c.chip_count;
        c.scale_up_domain.provenance.note = "system domain larger than the resized cluster: capped at its size";
        c.scale_up_domain.provenance.confidence = Confidence::derived;
    }
    c.host_memory = scaled(system.host_memory, preset, c.chip_count);
    if (c.chip_count == preset) c.topology = system.topology;  // a resized system needs its own topology
    c.power_all_in = scaled(system.power_all_in, preset, c.chip_count);
    c.price = scaled(system.price, preset, c.chip_count);
    if (system.cabinets.known() && preset > 0)
        c.cabinets = static_cast<double>(*system.cabinets.value) * static_cast<double>(c.chip_count) / static_cast<double>(preset);
    return c;
}

Cluster make_cluster(std::shared_ptr<const ChipSpec> chip, std::int64_t chip_count) {
    Cluster c;
    c.chip = std::move(chip);
    c.chip_count = chip_count;
    return c;
}

}  // namespace clustersim::catalog
