package chatworker.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * JUnit 5 extension that gives a test class one headless Chromium, driven by Selenium: Debian's
 * {@code /usr/bin/chromium} through its {@code /usr/bin/chromedriver}, never a browser or driver that
 * Selenium Manager would download.
 *
 * <pre>{@code
 * @RegisterExtension
 * static Browser browser = new Browser();   // before the other extensions: a missing browser skips first
 * ... browser.open(url); browser.until(d -> ..., "what is awaited"); browser.screenshot("name") ...
 * }</pre>
 *
 * <p>Started before all tests of the class, in a fresh profile directory, and quit after them, the
 * profile deleted. When Chromium or its driver is missing the class is skipped, saying how to install
 * them, except on CI (env {@code CI} set), where that fails: CI must run these tests. When a test
 * fails, a screenshot, the page's HTML and the browser's console log go to {@code target/screenshots/}.
 */
public final class Browser implements BeforeAllCallback, AfterAllCallback, AfterTestExecutionCallback {

  /** Where screenshots and failure artifacts go. */
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration DEFAULT_WAIT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(50);

  private ChromeDriverService service;
  private ChromeDriver driver;
  private Path profile;

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    requireInstalled();
    Files.createDirectories(SCREENSHOTS);
    profile = Files.createTempDirectory("chatworker-chromium-");
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(SCREENSHOTS.resolve("chromedriver.log").toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--window-size=1366,900", "--user-data-dir=" + profile);
    // The page's console (errors, failed fetches) is kept, for the failure artifacts.
    options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
    driver = new ChromeDriver(service, options);
  }

  private static void requireInstalled() {
    if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
      return;
    }
    String missing = "the browser tests need Debian's " + CHROMIUM + " and " + CHROMEDRIVER
        + " (apt-get install chromium chromium-driver)";
    if (System.getenv("CI") != null) {
      throw new AssertionError("CI is set, so the browser tests must run, but " + missing);
    }
    Assumptions.abort("skipped: " + missing);
  }

  /** On a failure: what the page looked like, its HTML and its console, named after the test. */
  @Override
  public void afterTestExecution(ExtensionContext context) {
    if (driver != null && context.getExecutionException().isPresent()) {
      String name = "failed-" + context.getRequiredTestClass().getSimpleName() + "-"
          + context.getRequiredTestMethod().getName();
      try {
        screenshot(name);
        Files.writeString(SCREENSHOTS.resolve(name + ".html"), driver.getPageSource());
        Files.writeString(SCREENSHOTS.resolve(name + ".console.log"), consoleLog());
      } catch (RuntimeException | IOException e) {
        context.getExecutionException().get().addSuppressed(e);
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    try {
      if (driver != null) {
        driver.quit();
      }
    } finally {
      driver = null;
      if (service != null) {
        service.stop();
      }
      if (profile != null) {
        deleteRecursively(profile);
      }
    }
  }

  /** The driver, for what the helpers here do not cover. */
  public WebDriver driver() {
    return driver;
  }

  public void open(String url) {
    driver.get(url);
  }

  public WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  public List<WebElement> findAll(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  public void click(String css) {
    find(css).click();
  }

  /** Replaces the value of an input or textarea. */
  public void type(String css, String text) {
    WebElement input = find(css);
    input.clear();
    input.sendKeys(text);
  }

  /** Runs JavaScript in the page and answers what it returns (as Selenium converts it). */
  @SuppressWarnings("unchecked")
  public <T> T script(String javascript, Object... args) {
    return (T) ((JavascriptExecutor) driver).executeScript(javascript, args);
  }

  /** Waits until condition answers something other than null or false, within 20 s; answers that. */
  public <T> T until(Function<WebDriver, T> condition, String what) {
    return until(condition, DEFAULT_WAIT, what);
  }

  /** Waits until condition answers something other than null or false; fails naming what was awaited. */
  public <T> T until(Function<WebDriver, T> condition, Duration timeout, String what) {
    return new WebDriverWait(driver, timeout, POLL).withMessage("waiting for " + what).until(condition);
  }

  /** Saves the viewport as {@code target/screenshots/<name>.png}. */
  public Path screenshot(String name) {
    Path file = SCREENSHOTS.resolve(name + ".png");
    try {
      Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** The page's console messages since the last call, one a line. */
  public String consoleLog() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .map(entry -> entry.getLevel() + " " + entry.getMessage())
        .collect(Collectors.joining("\n"));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }
}
