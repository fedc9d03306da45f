package magpie.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single-node OpenSearch 2.19 for tests and benchmarks, run from Maven Central jars.
 *
 * <p>The plugins a distribution loads from its modules/ folder are given here as class-path
 * plugins: transport-netty4 (the HTTP and transport layers), analysis-common (edge_ngram,
 * synonym, asciifolding, ...) and mapper-extras (search_as_you_type, scaled_float, ...).
 *
 * <pre>
 * java -cp magpie-opensearch-node.jar:lib/* magpie.opensearch.MagpieNode \
 *     --port 9200 --home /tmp/os [--data /tmp/os/data] [--watch-pid PID] [-Ekey=value ...]
 * </pre>
 *
 * <p>Binds to 127.0.0.1 only, discovery type single-node, cluster name magpie-test, disk
 * watermarks off. SIGTERM (or Ctrl-C) closes the node cleanly, and so does the end of the
 * process {@code --watch-pid} names (the launcher's), so a killed test run leaves no node.
 */
public final class MagpieNode extends Node {

    /** The plugins a distribution would load from modules/. */
    public static final List<Class<? extends Plugin>> PLUGINS =
            List.of(
                    Netty4Plugin.class,
                    CommonAnalysisPlugin.class,
                    MapperExtrasPlugin.class,
                    PainlessPlugin.class);

    /** Why start() failed, repeated as the log's last line (the stack trace comes first). */
    private static volatile String failure;

    private MagpieNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
        super(environment, plugins, true);
    }

    /** Settings of a test node listening for HTTP on 127.0.0.1:{@code httpPort}. */
    public static Settings settings(int httpPort, Path home, Path data, Map<String, String> extra) {
        Settings.Builder builder = Settings.builder()
                .put("cluster.name", "magpie-test")
                .put("node.name", "magpie-node")
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", httpPort)
                .put("transport.port", 0)
                .put("path.home", home.toString())
                .put("path.data", data.toString())
                .put("path.logs", data.resolve("logs").toString())
                .put("cluster.routing.allocation.disk.threshold_enabled", false);
        extra.forEach(builder::put);
        return builder.build();
    }

    /** Create (not start) a node with these settings. */
    public static MagpieNode create(Settings settings) {
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), null, () -> settings.get("node.name"));
        return new MagpieNode(environment, PLUGINS);
    }

    private static void usage(String message) {
        System.err.println(message);
        System.err.println("usage: MagpieNode --port PORT --home DIR [--data DIR]"
                + " [--watch-pid PID] [-Ekey=value ...]");
        System.exit(64);
    }

    /** Exit (running the shutdown hook) once process {@code pid} has ended. */
    private static void watch(long pid, Logger logger) {
        Thread watcher = new Thread(() -> {
            var parent = ProcessHandle.of(pid);
            while (parent.isPresent() && parent.get().isAlive()) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            logger.info("process {} has ended: stopping", pid);
            System.exit(0);
        }, "magpie-node-watch-pid");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Start a node and keep it running until SIGTERM or Ctrl-C. */
    public static void main(String[] args) throws Exception {
        Integer port = null;
        Path home = null;
        Path data = null;
        Long watchPid = null;
        Map<String, String> extra = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.startsWith("-E") && arg.contains("=")) {
                String setting = arg.substring(2);
                int eq = setting.indexOf('=');
                extra.put(setting.substring(0, eq), setting.substring(eq + 1));
                continue;
            }
            if (i + 1 >= args.length) {
                usage("missing value after " + arg);
            }
            String value = args[++i];
            switch (arg) {
                case "--port" -> port = Integer.valueOf(value);
                case "--home" -> home = Path.of(value).toAbsolutePath();
                case "--data" -> data = Path.of(value).toAbsolutePath();
                case "--watch-pid" -> watchPid = Long.valueOf(value);
                default -> usage("unknown argument " + arg);
            }
        }
        if (port == null || home == null) {
            usage("--port and --home are required");
        }
        if (data == null) {
            data = home.resolve("data");
        }
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(data);

        Logger logger = LogManager.getLogger(MagpieNode.class);
        MagpieNode node = create(settings(port, home, data, extra));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            logger.info("stopping");
            try {
                node.close();
                if (!node.awaitClose(20, TimeUnit.SECONDS)) {
                    logger.warn("node did not close within 20 s");
                }
            } catch (Exception e) {
                logger.error("error while stopping", e);
            } finally {
                logger.info("stopped");
                if (failure != null) {
                    logger.error("MagpieNode failed to start: {}", failure);
                }
                stopped.countDown();
                LogManager.shutdown();
            }
        }, "magpie-node-shutdown"));

        try {
            node.start();
        } catch (Exception e) {
            logger.error("node failed to start", e);
            failure = e.toString() + (e.getCause() == null ? "" : "; cause: " + e.getCause());
            System.exit(1);
        }
        logger.info("MagpieNode started: http://127.0.0.1:{}", port);
        if (watchPid != null) {
            watch(watchPid, logger);
        }
        // Node threads are daemons: keep the JVM alive until the shutdown hook has run.
        stopped.await();
    }
}
