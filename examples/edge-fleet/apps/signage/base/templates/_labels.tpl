app.kubernetes.io/name: {{app.name}}
app.kubernetes.io/instance: {{app.name}}-{{cluster.name}}
