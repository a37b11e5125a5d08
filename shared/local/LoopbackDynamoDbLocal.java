import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local like `java -jar DynamoDBLocal.jar ARGS` does, but with
 * its Jetty connectors bound to 127.0.0.1 instead of every interface:
 * DynamoDB Local has no option for the listen address.
 *
 * Run with Java's single-file source launcher, DynamoDBLocal.jar and
 * DynamoDBLocal_lib/* on the class path (see dynamodb-local.ts). Exits when
 * its standard input closes, so it does not outlive the Node process that
 * started it.
 */
public final class LoopbackDynamoDbLocal {
  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("unexpected connector " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();

    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Discard: the parent never writes; end of input means it is gone.
        }
      } catch (Exception ignored) {
        // Treated like end of input.
      }
      System.exit(0);
    }, "stdin-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }
}
