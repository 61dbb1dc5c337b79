#include "output/run_json.hpp"

#include <algorithm>

#include "clustersim_git_commit.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "output/sha256.hpp"

namespace clustersim::output {

namespace fs = std::filesystem;

namespace {

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (byte < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    out += "\\u00";
                    out += hex[byte >> 4];
                    out += hex[byte & 15];
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

std::string files_json(const std::vector<InputFile>& files, const std::string& indent) {
    std::string out = "[";
    for (std::size_t i = 0; i < files.size(); ++i) {
        out += (i ? ",\n" : "\n") + indent + "  {\"path\": " + json_string(files[i].path) +
               ", \"sha256\": " + json_string(files[i].sha256) + "}";
    }
    return out + (files.empty() ? "]" : "\n" + indent + "]");
}

}  // namespace

std::string version_string() {
    std::string v = CLUSTERSIM_VERSION;
    const std::string commit = CLUSTERSIM_GIT_COMMIT;
    const bool dirty = commit.size() > 6 && commit.compare(commit.size() - 6, 6, "-dirty") == 0;
    if (!commit.empty()) v += " (" + commit.substr(0, 12) + (dirty ? "-dirty" : "") + ")";
    return v;
}

RunProvenance collect_provenance(const std::vector<fs::path>& scenarios, const fs::path& catalog_dir,
                                 const std::vector<fs::path>& catalog_files) {
    RunProvenance p;
    for (const auto& s : scenarios) p.scenarios.push_back({s.string(), sha256_hex(read_file(s))});
    p.catalog_dir = catalog_dir.string();
    for (const auto& f : catalog_files) {
        p.catalog_files.push_back({fs::relative(f, catalog_dir).generic_string(), sha256_hex(read_file(f))});
    }
    std::sort(p.catalog_files.begin(), p.catalog_files.end(),
              [](const InputFile& a, const InputFile& b) { return a.path < b.path; });
    return p;
}

std::string run_json(const RunProvenance& p, std::size_t rows, const Shard* shard) {
    std::string out = "{\n";
    out += "  \"tool\": \"clustersim\",\n";
    out += "  \"version\": " + json_string(CLUSTERSIM_VERSION) + ",\n";
    out += "  \"git_commit\": " + (std::string(CLUSTERSIM_GIT_COMMIT).empty() ? std::string("null")
                                                                           : json_string(CLUSTERSIM_GIT_COMMIT)) + ",\n";
    out += "  \"results_schema_version\": " + std::to_string(results_schema_version) + ",\n";
    out += "  \"rows\": " + std::to_string(rows) + ",\n";
    if (shard) {
        out += "  \"shard\": {\"index\": " + std::to_string(shard->index) + ", \"count\": " + std::to_string(shard->count) +
               ", \"first_row\": " + std::to_string(shard->first_row(rows)) + ", \"rows\": " + std::to_string(shard->rows(rows)) + "},\n";
    }
    out += "  \"scenarios\": " + files_json(p.scenarios, "  ") + ",\n";
    out += "  \"catalog\": {\"dir\": " + json_string(p.catalog_dir) + ", \"files\": " +
           files_json(p.catalog_files, "    ") + "}\n";
    return out + "}\n";
}

}  // namespace clustersim::output
