#!/usr/bin/python3
# om-parse.py FILE - parse FILE with prometheus_client's two real parsers (the
# strict OpenMetrics 1.0 parser, and the Prometheus text format 0.0.4 parser
# that node_exporter's textfile collector's format follows) and print
# "families N samples M"; exit 1 with the parser's message if either refuses it.
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as prom_parse

text = open(sys.argv[1]).read()
try:
    om = list(om_parse(text))
    prom = list(prom_parse(text))
except Exception as e:  # the parsers raise ValueError and others
    print("refused: %s" % e)
    sys.exit(1)
n = sum(len(f.samples) for f in om)
if n != sum(len(f.samples) for f in prom):
    print("the two parsers disagree on the number of samples")
    sys.exit(1)
for f in om:
    if not f.name.startswith("balloonbench_") or f.type != "gauge":
        print("family %s: %s, expected a balloonbench_ gauge" % (f.name, f.type))
        sys.exit(1)
print("families %d samples %d" % (len(om), n))
