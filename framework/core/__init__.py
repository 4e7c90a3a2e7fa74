"""The core pipeline: config, logs, the mount tree, applications, requests, responses,
request plans and tool classes. Nothing here imports the process layer, the tool library
or any optional engine at module level.
"""
