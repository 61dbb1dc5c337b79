#pragma once
// The physical dimension of a quantity written with a unit in an input file.
#include <string_view>

namespace clustersim::units {

enum class Dimension {
    time,
    data,
    data_rate,
    compute,
    compute_rate,
    power,
    energy,
    frequency,
    money,  ///< US dollars ("25000 USD"); nominal, no currency conversion, no inflation adjustment
    token_rate,  ///< tokens per second ("4160 tokens/s", "1.3 Mtokens/s")
    area,        ///< silicon area ("814 mm2", "6.66 cm2"); SI m^2
    defect_density,  ///< defects per area ("0.1 /cm2"); SI per m^2
    energy_price,    ///< money per energy ("0.08 USD/kWh"); SI USD per J
};

/// "data rate", "compute rate", ... for error messages.
std::string_view dimension_name(Dimension d);
/// A short list of valid example units, e.g. "'GB/s', 'Gb/s', 'TB/s'".
std::string_view dimension_examples(Dimension d);

}  // namespace clustersim::units
