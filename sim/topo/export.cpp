#include "topo/export.hpp"

#include "topo/problem.hpp"
#include "units/format.hpp"

namespace clustersim::topo {

namespace {

void check_size(const Topology& t, const ExportLimits& limits, const char* format) {
    if (t.node_count() <= limits.max_nodes && t.link_count() <= limits.max_links) return;
    throw TopologyError(std::string(format) + " export refused: the graph has " + std::to_string(t.node_count()) +
                        " nodes and " + std::to_string(t.link_count()) + " links, above the limit of " +
                        std::to_string(limits.max_nodes) + " nodes and " + std::to_string(limits.max_links) +
                        " links (pass larger ExportLimits to override)");
}

std::string node_label(const Topology& t, NodeId v) {
    const auto& c = t.node_class(v);
    if (c.kind == NodeKind::switch_node) return t.levels()[static_cast<std::size_t>(c.level)].name + "/" + c.name;
    return c.name;
}

/// Calls f(u, v, link) once per physical link (the direction with u < v, or the first of a
/// self-pair's directions).
template <class F>
void for_each_link(const Topology& t, F f) {
    for (NodeId u = 0; u < t.node_count(); ++u)
        for (LinkId l = t.out_begin(u); l < t.out_end(u); ++l)
            if (u < t.target(l)) f(u, t.target(l), l);
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string dot_escape(const std::string& s) {
    std::string out;
    for (const char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out;
}

}  // namespace

std::string to_dot(const Topology& t, const ExportLimits& limits) {
    check_size(t, limits, "DOT");
    std::string out = "graph clustersim {\n";
    for (NodeId v = 0; v < t.node_count(); ++v) {
        const auto& c = t.node_class(v);
        out += "  n" + std::to_string(v) + " [label=\"" + dot_escape(node_label(t, v)) + " " + std::to_string(v) +
               "\", kind=\"" + std::string(to_string(c.kind)) + "\", class=\"" + dot_escape(c.name) + "\"";
        if (c.kind == NodeKind::switch_node)
            out += ", level=\"" + dot_escape(t.levels()[static_cast<std::size_t>(c.level)].name) +
                   "\", tier=" + std::to_string(c.tier) + ", radix=" + std::to_string(c.radix);
        out += "];\n";
    }
    for_each_link(t, [&](NodeId u, NodeId v, LinkId l) {
        const auto& c = t.link_class(l);
        out += "  n" + std::to_string(u) + " -- n" + std::to_string(v) + " [level=\"" +
               dot_escape(t.levels()[static_cast<std::size_t>(c.level)].name) + "\", link=\"" + dot_escape(c.name) +
               "\", plane=" + std::to_string(c.plane) + ", bandwidth_Bps=" + units::round_trip(c.spec.bandwidth.si()) +
               ", latency_s=" + units::round_trip(c.spec.latency.si()) + ", medium=\"" +
               std::string(to_string(c.spec.medium)) + "\"];\n";
    });
    out += "}\n";
    return out;
}

std::string to_graphml(const Topology& t, const ExportLimits& limits) {
    check_size(t, limits, "GraphML");
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
        "  <key id=\"kind\" for=\"node\" attr.name=\"kind\" attr.type=\"string\"/>\n"
        "  <key id=\"class\" for=\"node\" attr.name=\"class\" attr.type=\"string\"/>\n"
        "  <key id=\"node_level\" for=\"node\" attr.name=\"level\" attr.type=\"string\"/>\n"
        "  <key id=\"tier\" for=\"node\" attr.name=\"tier\" attr.type=\"long\"/>\n"
        "  <key id=\"radix\" for=\"node\" attr.name=\"radix\" attr.type=\"long\"/>\n"
        "  <key id=\"level\" for=\"edge\" attr.name=\"level\" attr.type=\"string\"/>\n"
        "  <key id=\"link\" for=\"edge\" attr.name=\"link\" attr.type=\"string\"/>\n"
        "  <key id=\"plane\" for=\"edge\" attr.name=\"plane\" attr.type=\"long\"/>\n"
        "  <key id=\"bandwidth_Bps\" for=\"edge\" attr.name=\"bandwidth_Bps\" attr.type=\"double\"/>\n"
        "  <key id=\"latency_s\" for=\"edge\" attr.name=\"latency_s\" attr.type=\"double\"/>\n"
        "  <key id=\"medium\" for=\"edge\" attr.name=\"medium\" attr.type=\"string\"/>\n"
        "  <graph id=\"clustersim\" edgedefault=\"undirected\">\n";
    for (NodeId v = 0; v < t.node_count(); ++v) {
        const auto& c = t.node_class(v);
        out += "    <node id=\"n" + std::to_string(v) + "\"><data key=\"kind\">" + std::string(to_string(c.kind)) +
               "</data><data key=\"class\">" + xml_escape(c.name) + "</data>";
        if (c.kind == NodeKind::switch_node)
            out += "<data key=\"node_level\">" + xml_escape(t.levels()[static_cast<std::size_t>(c.level)].name) +
                   "</data><data key=\"tier\">" + std::to_string(c.tier) + "</data><data key=\"radix\">" +
                   std::to_string(c.radix) + "</data>";
        out += "</node>\n";
    }
    std::uint64_t e = 0;
    for_each_link(t, [&](NodeId u, NodeId v, LinkId l) {
        const auto& c = t.link_class(l);
        out += "    <edge id=\"e" + std::to_string(e++) + "\" source=\"n" + std::to_string(u) + "\" target=\"n" +
               std::to_string(v) + "\"><data key=\"level\">" +
               xml_escape(t.levels()[static_cast<std::size_t>(c.level)].name) + "</data><data key=\"link\">" +
               xml_escape(c.name) + "</data><data key=\"plane\">" + std::to_string(c.plane) +
               "</data><data key=\"bandwidth_Bps\">" + units::round_trip(c.spec.bandwidth.si()) +
               "</data><data key=\"latency_s\">" + units::round_trip(c.spec.latency.si()) +
               "</data><data key=\"medium\">" + std::string(to_string(c.spec.medium)) + "</data></edge>\n";
    });
    out += "  </graph>\n</graphml>\n";
    return out;
}

}  // namespace clustersim::topo
