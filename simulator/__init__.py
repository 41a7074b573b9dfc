"""Simulated shop traffic with known answers (clickstream-simulate).

One module per stage: catalog (products), audience (countries, devices, channels, bots), behavior (what a
visit does), traffic (the hour-by-hour loop and the dirt), collector (client events and collected lines),
rawstore (direct mode), endpoint (POSTs to a collector), truth (ground truth), run (one run), cli, compare
(against the real sample). See simulator/README.md.
"""
