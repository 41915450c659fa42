# Debian packages: every system install of the build is here (and only here), each done only
# when its command is missing, guarded by a stamp. (Named apt.mk so that it is read before the
# mk/*.mk files whose targets depend on these stamps.)
#
#   make java-tools   java (11+) and mvn: openjdk-17-jdk-headless, maven   (test-jmeter)
#   make chromium     Debian's chromium (playwright cannot download its own here)   (test-playground)

JAVA_STAMP := $(STAMPS)/java-tools
CHROMIUM_STAMP := $(STAMPS)/chromium
MVN ?= mvn

# $(call apt_install,<packages>): apt-get update once per call, then install without prompts.
apt_install = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1)

.PHONY: java-tools chromium

java-tools: $(JAVA_STAMP)

$(JAVA_STAMP):
	@java_ok() { command -v java >/dev/null && \
	  v=$$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $$2 }') && \
	  [ "$${v%%.*}" -ge 11 ]; }; \
	if ! java_ok || ! command -v $(MVN) >/dev/null; then \
	  echo "java-tools: installing openjdk-17-jdk-headless and maven from Debian"; \
	  $(call apt_install,openjdk-17-jdk-headless maven); \
	fi
	java -version 2>&1 | head -1
	@mkdir -p $(@D) && touch $@

chromium: $(CHROMIUM_STAMP)

$(CHROMIUM_STAMP):
	@if ! command -v chromium >/dev/null; then \
	  echo "chromium: installing chromium from Debian"; \
	  $(call apt_install,chromium); \
	fi
	@mkdir -p $(@D) && touch $@
